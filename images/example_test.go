package images_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/winami/winami/images"
	"github.com/winami/winami/images/imagestest"
)

// Check an ltsc2019 image against a Windows Server 2022 AMI: it is incompatible, and the
// report names the builds it does run on.
func ExampleCheck() {
	old, had := os.LookupEnv("DOCKER_CONFIG")
	if err := os.Setenv("DOCKER_CONFIG", os.TempDir()+"/no-docker-config"); err != nil { // anonymous access
		panic(err)
	}
	defer func() {
		if had {
			_ = os.Setenv("DOCKER_CONFIG", old)
		} else {
			_ = os.Unsetenv("DOCKER_CONFIG")
		}
	}()
	reg := imagestest.NewRegistry(nil)
	defer reg.Close()
	host := reg.Host
	// An index whose only entry is windows/amd64 10.0.17763 (ltsc2019).
	imagestest.PushWindows(imagestest.Fatal, host+"/app:1.0-ltsc2019", nil, "10.0.17763.6054")

	rep, err := images.Check(context.Background(), []string{host + "/app:1.0-ltsc2019"}, "2022", images.Options{})
	if err != nil {
		log.Fatal(err)
	}
	im := rep.Images[0]
	fmt.Println(im.Status, im.CompatibleWith, rep.OK())
	fmt.Println(rep.Totals.RootVolumeGiB, "GiB root volume for", rep.Totals.Compatible, "cached images")
	// Output:
	// incompatible [ltsc2019] false
	// 70 GiB root volume for 0 cached images
}

// The root volume for 8 GiB of uncompressed images on a 50 GiB parent.
func ExampleRootVolumeGiB() {
	fmt.Println(images.RootVolumeGiB(50, 8<<30, images.DefaultHeadroom, images.DefaultFreeGiB))
	// Output: 82
}
