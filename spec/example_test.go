package spec_test

import (
	"errors"
	"fmt"

	"github.com/winami/winami/spec"
)

func ExampleLoadBytes() {
	src := `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata: {name: prod-win2025, region: us-east-1}
spec:
  kubernetesVersion: "1.31"
  windows: {version: "2025", edition: Core}
  cache: {images: [mcr.microsoft.com/windows/servercore:latest]}
  distribution:
    fastLaunch: {enabled: true, maxParalelLaunches: 6}
`
	_, err := spec.LoadBytes([]byte(src), "winami.yaml")
	var errs spec.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Println(e.Line, e.Path)
		}
	}
	// Output:
	// 5 spec.kubernetesVersion
	// 7 spec.cache.images[0]
	// 9 spec.distribution.fastLaunch.maxParalelLaunches
}
