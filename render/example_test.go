package render_test

import (
	"fmt"

	"github.com/winami/winami/render"
	"github.com/winami/winami/spec"
)

func ExampleRender() {
	img, err := spec.LoadBytes([]byte(`apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata: {name: prod-win2022, region: us-east-1}
spec:
  kubernetesVersion: "1.31"
  windows: {version: "2022", edition: Core}
  cache: {images: [mcr.microsoft.com/windows/servercore:ltsc2022]}
`), "winami.yaml")
	if err != nil {
		panic(err)
	}
	r, err := render.Render(img, render.Options{AccountID: "123456789012"})
	if err != nil {
		panic(err)
	}
	fmt.Println(*r.ImageRecipe.ParentImage)
	for _, c := range r.ImageRecipe.Components {
		fmt.Println(*c.ComponentArn)
	}
	fmt.Println(*r.ImagePipeline.InfrastructureConfigurationArn)
	// Output:
	// ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id
	// arn:aws:imagebuilder:us-east-1:aws:component/update-windows/x.x.x
	// arn:aws:imagebuilder:us-east-1:123456789012:component/prod-win2022-image-cache/1.828029010.188843538
	// arn:aws:imagebuilder:us-east-1:123456789012:infrastructure-configuration/prod-win2022
}
