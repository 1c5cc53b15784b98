package imagestest

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The os.version of the demo images (real builds, recent revisions).
const (
	DemoLTSC2019 = "10.0.17763.6893"
	DemoLTSC2022 = "10.0.20348.3207"
	DemoLTSC2025 = "10.0.26100.3194"
)

// DemoRefs are the repositories and tags SeedDemo pushes (relative to the registry host),
// with what each one is.
var DemoRefs = []struct{ Ref, What string }{
	{"dotnet/framework/aspnet:4.8", "index: ltsc2019 and ltsc2022 entries, with os.version"},
	{"dotnet/framework/aspnet:4.8-windowsservercore-ltsc2019", "ltsc2019 image"},
	{"dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022", "ltsc2022 image"},
	{"dotnet/framework/aspnet:4.8-windowsservercore-ltsc2025", "ltsc2025 image"},
	{"myapp:1.4.2", "ltsc2022, on the aspnet ltsc2022 layers (shared base)"},
	{"legacy-app:2.0-ltsc2019", "ltsc2019 image"},
	{"legacy-app:2.0-ltsc2022", "ltsc2022 image"},
	{"web:3.0-ltsc2019", "ltsc2019 image"},
	{"web:3.0-ltsc2022", "index whose entry has no os.version (the build is in the config): an unlabelled sibling"},
	{"tools:1.0", "index without os.version: ltsc2019 entry first, then ltsc2022"},
	{"multi:1.0", "multi-version tag: ltsc2022 entry first, then ltsc2025, with os.version"},
	{"servercore-legacy:ltsc2019", "ltsc2019 on a foreign (non-distributable) base layer"},
}

// SeedDemo pushes DemoRefs to the registry at host: random layers of a few units each
// (the docs registry uses MiB; tests a KiB), with real Windows platform data. Foreign
// layers point at foreignURL, which is never fetched.
func SeedDemo(host string, unit int64, foreignURL string) error {
	mk := func(sizes ...int64) ([]v1.Layer, error) {
		var out []v1.Layer
		for _, n := range sizes {
			l, err := random.Layer(n*unit, types.DockerLayer)
			if err != nil {
				return nil, fmt.Errorf("making a layer: %w", err)
			}
			out = append(out, l)
		}
		return out, nil
	}
	image := func(osv string, base []mutate.Addendum, own int64) (v1.Image, error) {
		top, err := mk(own)
		if err != nil {
			return nil, err
		}
		img, err := mutate.Append(empty.Image, base...)
		if err != nil {
			return nil, fmt.Errorf("making an image: %w", err)
		}
		if img, err = mutate.AppendLayers(img, top...); err != nil {
			return nil, fmt.Errorf("making an image: %w", err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("reading the image config: %w", err)
		}
		cfg = cfg.DeepCopy()
		cfg.OS, cfg.Architecture, cfg.OSVersion = "windows", "amd64", osv
		return mutate.ConfigFile(img, cfg)
	}
	adds := func(ls []v1.Layer) []mutate.Addendum {
		out := make([]mutate.Addendum, len(ls))
		for i, l := range ls {
			out[i] = mutate.Addendum{Layer: l}
		}
		return out
	}
	index := func(labelled bool, imgs ...v1.Image) (v1.ImageIndex, error) {
		idx := mutate.IndexMediaType(empty.Index, types.DockerManifestList)
		for _, img := range imgs {
			cfg, err := img.ConfigFile()
			if err != nil {
				return nil, fmt.Errorf("reading the image config: %w", err)
			}
			p := &v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture}
			if labelled {
				p.OSVersion = cfg.OSVersion
			}
			idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: p}})
		}
		return idx, nil
	}

	var err error
	must := func(img v1.Image, e error) v1.Image {
		if err == nil {
			err = e
		}
		return img
	}
	base2019, e1 := mk(48, 6)
	base2022, e2 := mk(48, 6)
	base2025, e3 := mk(48, 6)
	if err := firstErr(e1, e2, e3); err != nil {
		return err
	}
	aspnet2019 := must(image(DemoLTSC2019, adds(base2019), 8))
	aspnet2022 := must(image(DemoLTSC2022, adds(base2022), 8))
	aspnet2025 := must(image(DemoLTSC2025, adds(base2025), 8))
	if err != nil {
		return err
	}
	aspnetTop, err := aspnet2022.Layers()
	if err != nil {
		return fmt.Errorf("reading layers: %w", err)
	}
	myapp := must(image(DemoLTSC2022, adds(append(append([]v1.Layer(nil), base2022...), aspnetTop[len(aspnetTop)-1])), 4))
	legacy2019 := must(image(DemoLTSC2019, adds(base2019), 2))
	legacy2022 := must(image(DemoLTSC2022, adds(base2022), 2))
	web2019 := must(image(DemoLTSC2019, adds(base2019), 3))
	web2022 := must(image(DemoLTSC2022, adds(base2022), 3))
	tools2019 := must(image(DemoLTSC2019, adds(base2019), 1))
	tools2022 := must(image(DemoLTSC2022, adds(base2022), 1))
	multi2022 := must(image(DemoLTSC2022, adds(base2022), 2))
	multi2025 := must(image(DemoLTSC2025, adds(base2025), 2))
	fl, err := random.Layer(16*unit, types.DockerForeignLayer)
	if err != nil {
		return fmt.Errorf("making a foreign layer: %w", err)
	}
	fd, err := fl.Digest()
	if err != nil {
		return fmt.Errorf("digesting a foreign layer: %w", err)
	}
	foreign := must(image(DemoLTSC2019, []mutate.Addendum{{Layer: fl, MediaType: types.DockerForeignLayer, URLs: []string{foreignURL + "/" + fd.String()}}}, 2))
	if err != nil {
		return err
	}
	aspnet, e1 := index(true, aspnet2019, aspnet2022)
	web, e2 := index(false, web2022)
	tools, e3 := index(false, tools2019, tools2022)
	multi, e4 := index(true, multi2022, multi2025)
	if err := firstErr(e1, e2, e3, e4); err != nil {
		return err
	}
	for _, p := range []struct {
		ref string
		v   any
	}{
		{DemoRefs[0].Ref, aspnet}, {DemoRefs[1].Ref, aspnet2019}, {DemoRefs[2].Ref, aspnet2022}, {DemoRefs[3].Ref, aspnet2025},
		{DemoRefs[4].Ref, myapp}, {DemoRefs[5].Ref, legacy2019}, {DemoRefs[6].Ref, legacy2022},
		{DemoRefs[7].Ref, web2019}, {DemoRefs[8].Ref, web}, {DemoRefs[9].Ref, tools}, {DemoRefs[10].Ref, multi},
		{DemoRefs[11].Ref, foreign},
	} {
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

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
