package cli

import (
	"errors"
	"strings"

	"github.com/winami/winami/catalog"

	"github.com/winami/winami/spec"
)

// loadSpec is how every command that takes -f reads its spec file (render, plan, apply,
// build, audit, doctor, prune, iam-policy, images check): it loads, defaults and
// validates the file, and turns its problems into one bad-input error (exit 2) that
// lists them all, one a line with the file, line and field. A Windows Server version
// within six months of the end of Microsoft's extended support (or past it) is warned
// about on stderr.
func loadSpec(g *Factory, file string) (*spec.WindowsImage, error) {
	if file == "" {
		return nil, Usagef("flag -f/--file is required: give the spec file, such as -f winami.yaml")
	}
	img, err := spec.Load(file)
	if err != nil {
		return nil, specError(file, err)
	}
	if err := checkSpecRegion(g, img); err != nil {
		return nil, err
	}
	if w, err := catalog.Windows(img.Spec.Windows.Version); err == nil {
		if msg := w.SupportWarning(g.now()); msg != "" {
			g.Warnf("%s: spec.windows.version: %s", file, msg)
		}
	}
	return img, nil
}

// specError is the bad-input error for a spec's problems (spec.Errors):
//
//	invalid spec: broken.yaml:7: spec.kubernetesVersion: …
//
// for one problem, and for several
//
//	invalid spec broken.yaml (8 problems):
//	  broken.yaml:7: spec.kubernetesVersion: …
//	  broken.yaml:8: …
//
// Any other error is marked as bad input as it is.
func specError(file string, err error) error {
	var errs spec.Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		return Usage(err)
	}
	if len(errs) == 1 {
		return Usagef("invalid spec: %s", errs[0])
	}
	return Usagef("invalid spec %s (%d problems):\n%s", file, len(errs), strings.Join(errs.Lines("  "), "\n"))
}
