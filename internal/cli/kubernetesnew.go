package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/winami/winami/catalog"
	"github.com/winami/winami/resolve"
	"github.com/winami/winami/spec"
)

// warnNewKubernetes warns (render: offline) that the spec's Kubernetes version is newer
// than winami's catalog, so only AWS can tell whether EKS has it: plan checks.
func warnNewKubernetes(g *Factory, img *spec.WindowsImage) {
	k := img.Spec.KubernetesVersion
	if !catalog.NewerThanCatalog(k) {
		return
	}
	g.Warnf("%s: spec.kubernetesVersion: %q is newer than winami's catalog (%s to %s): render cannot tell whether EKS has Windows AMIs for it; winami plan -f %s asks AWS",
		specAt(img, "spec.kubernetesVersion"), k, catalog.KubernetesVersions()[0], catalog.LatestKubernetes(), img.File())
}

// checkNewKubernetes checks a Kubernetes version newer than winami's catalog against AWS
// (plan, apply, build), before anything changes: EKS must publish the EKS-optimized
// Windows AMI parameter of the spec's Windows version, edition and Kubernetes version in
// metadata.region (both parent routes need EKS's build of that version). A version EKS
// does not have is bad input (exit 2) naming the field.
func checkNewKubernetes(ctx context.Context, g *Factory, c resolve.Clients, img *spec.WindowsImage) error {
	s := img.Spec
	if !catalog.NewerThanCatalog(s.KubernetesVersion) {
		return nil
	}
	t := resolve.Target{Region: img.Metadata.Region, Windows: s.Windows.Version, Edition: catalog.Edition(s.Windows.Edition), Kubernetes: s.KubernetesVersion}
	ok, err := resolve.Published(ctx, c, t)
	if err != nil {
		return fmt.Errorf("checking Kubernetes %s with EKS's Windows AMIs: %w", s.KubernetesVersion, err)
	}
	if !ok {
		return Usagef("%s: spec.kubernetesVersion: %q is newer than winami's catalog (newest %s), and EKS publishes no Windows Server %s %s AMI for it in %s (SSM parameter %s does not exist): use a version EKS has, such as %q",
			specAt(img, "spec.kubernetesVersion"), s.KubernetesVersion, catalog.LatestKubernetes(), s.Windows.Version, s.Windows.Edition, t.Region, t.Parameter(), catalog.LatestKubernetes())
	}
	g.Infof("Kubernetes %s is newer than winami's catalog; EKS publishes %s in %s", s.KubernetesVersion, t.Parameter(), t.Region)
	return nil
}

// specAt is "file:line" of the spec's field at path (the file alone when the line is not known).
func specAt(img *spec.WindowsImage, path string) string {
	var b strings.Builder
	b.WriteString(img.File())
	if l := img.Line(path); l > 0 {
		fmt.Fprintf(&b, ":%d", l)
	}
	return b.String()
}
