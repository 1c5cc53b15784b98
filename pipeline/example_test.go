package pipeline_test

import (
	"context"
	"fmt"
	"log"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/pipeline"
	"github.com/winami/winami/spec"
)

// Example plans a spec against the emulator, as `winami plan -f winami.yaml --no-registry
// --create-roles` does: what apply would create, and why.
func Example() {
	srv := emulator.New()
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer func() { _ = srv.Close() }()
	clients := awsapi.FromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))

	img, err := spec.LoadBytes([]byte(`apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata: {name: example-win2022, region: us-east-1}
spec:
  kubernetesVersion: "1.33"
  windows: {version: "2022", edition: Core}
  cache: {images: [mcr.microsoft.com/windows/servercore:ltsc2022]}
  distribution: {regions: [us-east-1], publishParameter: /winami/example-win2022/image_id}
`), "winami.yaml")
	if err != nil {
		log.Fatal(err)
	}
	p, err := pipeline.Load(context.Background(), clients, img, pipeline.Options{NoRegistry: true, CreateRoles: true})
	if err != nil {
		log.Fatal(err)
	}
	plan, err := p.Plan(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range plan.Changes {
		fmt.Println(c.Action, c.Resource, c.Name)
	}
	// Output:
	// unchanged instance-profile EC2InstanceProfileForImageBuilder
	// create execution-role example-win2022-imagebuilder-execution
	// create component example-win2022-image-cache
	// create image-recipe example-win2022
	// create infrastructure-configuration example-win2022
	// create distribution-configuration example-win2022
	// create image-pipeline example-win2022
}
