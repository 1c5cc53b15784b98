package images_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/winami/winami/images"
)

// pushLTSC2019 pushes an index whose only entry is windows/amd64 10.0.17763 (ltsc2019).
func pushLTSC2019(ref string) {
	img, _ := random.Image(1024, 2)
	cfg, _ := img.ConfigFile()
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.OSVersion = "windows", "amd64", "10.0.17763.6054"
	img, _ = mutate.ConfigFile(img, cfg)
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.DockerManifestList), mutate.IndexAddendum{
		Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "windows", Architecture: "amd64", OSVersion: cfg.OSVersion}},
	})
	r, _ := name.ParseReference(ref)
	if err := remote.WriteIndex(r, idx); err != nil {
		log.Fatal(err)
	}
}

// Check an ltsc2019 image against a Windows Server 2022 AMI: it is incompatible, and the
// report names the builds it does run on.
func ExampleCheck() {
	old, had := os.LookupEnv("DOCKER_CONFIG")
	os.Setenv("DOCKER_CONFIG", os.TempDir()+"/no-docker-config") // anonymous access
	defer func() {
		if had {
			os.Setenv("DOCKER_CONFIG", old)
		} else {
			os.Unsetenv("DOCKER_CONFIG")
		}
	}()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	pushLTSC2019(host + "/app:1.0-ltsc2019")

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
