// Command registry serves go-containerregistry's in-memory container registry on a
// loopback address, holding a few small Windows images, so that the README's
// `winami images check` example runs with no internet access and no Docker:
//
//	go run ./docs/registry --listen 127.0.0.1:5000
//
// The images are made of random layers (a few MiB each) with real Windows platform
// data (os windows, arch amd64, os.version of Windows Server 2019 or 2022):
//
//	dotnet/framework/aspnet:4.8                        index: ltsc2019 and ltsc2022 entries
//	dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022
//	dotnet/framework/aspnet:4.8-windowsservercore-ltsc2019
//	myapp:1.4.2                                        ltsc2022, on the same base layers
//	legacy-app:2.0-ltsc2019, legacy-app:2.0-ltsc2022   one build each
//
// It runs until interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	ltsc2019 = "10.0.17763.6893"
	ltsc2022 = "10.0.20348.3207"
	mib      = 1 << 20
)

func main() {
	listen := flag.String("listen", "127.0.0.1:5000", "loopback address to listen on")
	flag.Parse()
	if err := run(*listen); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(listen string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("parsing --listen: %w", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--listen %s: want a loopback address such as 127.0.0.1:5000", listen)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	go func() { _ = srv.Serve(ln) }()
	addr := ln.Addr().String()
	if err := seed(addr); err != nil {
		_ = srv.Close()
		return fmt.Errorf("seeding the registry: %w", err)
	}
	fmt.Printf("registry: serving Windows test images at %s (Ctrl-C to stop)\n", addr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	<-ctx.Done()
	return srv.Shutdown(context.Background())
}

// seed pushes the images listed in the package comment.
func seed(host string) error {
	base2019, err := layers(48*mib, 6*mib)
	if err != nil {
		return err
	}
	base2022, err := layers(48*mib, 6*mib)
	if err != nil {
		return err
	}
	aspnet2019, err := image(ltsc2019, base2019, 8*mib)
	if err != nil {
		return err
	}
	aspnet2022, err := image(ltsc2022, base2022, 8*mib)
	if err != nil {
		return err
	}
	myapp, err := image(ltsc2022, append(base2022, topLayer(aspnet2022)...), 4*mib)
	if err != nil {
		return err
	}
	legacy2019, err := image(ltsc2019, base2019, 2*mib)
	if err != nil {
		return err
	}
	legacy2022, err := image(ltsc2022, base2022, 2*mib)
	if err != nil {
		return err
	}
	idx := mutate.IndexMediaType(empty.Index, types.DockerManifestList)
	for _, e := range []struct {
		img v1.Image
		osv string
	}{{aspnet2019, ltsc2019}, {aspnet2022, ltsc2022}} {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: e.img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "windows", Architecture: "amd64", OSVersion: e.osv}}})
	}
	pushes := []struct {
		ref string
		v   any
	}{
		{"dotnet/framework/aspnet:4.8", idx},
		{"dotnet/framework/aspnet:4.8-windowsservercore-ltsc2019", aspnet2019},
		{"dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022", aspnet2022},
		{"myapp:1.4.2", myapp},
		{"legacy-app:2.0-ltsc2019", legacy2019},
		{"legacy-app:2.0-ltsc2022", legacy2022},
	}
	for _, p := range pushes {
		ref, err := name.ParseReference(host+"/"+p.ref, name.Insecure)
		if err != nil {
			return fmt.Errorf("parsing %s: %w", p.ref, err)
		}
		switch v := p.v.(type) {
		case v1.ImageIndex:
			err = remote.WriteIndex(ref, v)
		case v1.Image:
			err = remote.Write(ref, v)
		}
		if err != nil {
			return fmt.Errorf("pushing %s: %w", ref, err)
		}
	}
	return nil
}

// layers makes random layers of the given sizes.
func layers(sizes ...int64) ([]v1.Layer, error) {
	var out []v1.Layer
	for _, n := range sizes {
		l, err := random.Layer(n, types.DockerLayer)
		if err != nil {
			return nil, fmt.Errorf("making a layer: %w", err)
		}
		out = append(out, l)
	}
	return out, nil
}

// topLayer returns an image's own top layer (the one image adds on its base).
func topLayer(img v1.Image) []v1.Layer {
	ls, err := img.Layers()
	if err != nil || len(ls) == 0 {
		return nil
	}
	return ls[len(ls)-1:]
}

// image is a windows/amd64 image of build osVersion: base plus one layer of its own.
func image(osVersion string, base []v1.Layer, own int64) (v1.Image, error) {
	top, err := layers(own)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, append(append([]v1.Layer(nil), base...), top...)...)
	if err != nil {
		return nil, fmt.Errorf("making an image: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the image config: %w", err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.OSVersion = "windows", "amd64", osVersion
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("setting the image config: %w", err)
	}
	return img, nil
}
