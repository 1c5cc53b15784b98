package audit

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/winami/winami/catalog"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/images"
	"github.com/winami/winami/images/imagestest"
)

const os2022 = "10.0.20348.2700"

func winPod(name, nodeName string, imgs ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}, Spec: corev1.PodSpec{NodeName: nodeName}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	for i, im := range imgs {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: string(rune('a' + i)), Image: im})
	}
	return p
}

// TestCacheCoverageFromAMITags: an AMI built by winami records its cache in its tags
// (imagebuilder.Inputs.Tags, written at build time with CreateTags), the audit reads them
// back with DescribeImages from awsemu and says, per AMI, what a new node must pull before
// the Windows pods start; an Amazon EKS-optimized AMI records nothing.
func TestCacheCoverageFromAMITags(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := imagestest.Start(t, nil)
	base := imagestest.Layers(t, 2, 32<<10)
	webOwn, appOwn := imagestest.Layers(t, 1, 4<<10), imagestest.Layers(t, 1, 8<<10)
	web := reg.Host + "/web:1.0"
	app := reg.Host + "/app:2.0"
	webDigest := imagestest.Push(t, web, imagestest.WindowsImage(t, os2022, append(append([]v1.Layer(nil), base...), webOwn...), 0))
	imagestest.Push(t, app, imagestest.WindowsImage(t, os2022, append(append([]v1.Layer(nil), base...), appOwn...), 0))
	var appOwnBytes int64
	for _, l := range appOwn {
		n, _ := l.Size()
		appOwnBytes += n
	}

	w := newWorld(t)
	ctx := context.Background()
	eks := w.ami("us-east-1", "2022", catalog.Core, "1.35", "2026.11.12")
	src := w.launch("us-east-1", eks, 1)[0]
	created, err := w.ec2("us-east-1").CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(src), Name: aws.String("prod-win2022-cache")})
	if err != nil {
		t.Fatal(err)
	}
	own := aws.ToString(created.ImageId)
	// The tags winami's build writes: the cache as the build resolved it.
	in := imagebuilder.Inputs{ParentImage: eks, Images: []string{web + "@" + webDigest}}
	var tags []ec2types.Tag
	for k, v := range in.Tags("prod-win2022") {
		tags = append(tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := w.ec2("us-east-1").CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{own}, Tags: tags}); err != nil {
		t.Fatal(err)
	}
	ownIDs := w.launch("us-east-1", own, 2)
	eksIDs := w.launch("us-east-1", eks, 1)
	kc := cluster("v1.35.1",
		node("win-a", "us-east-1a", ownIDs[0], "v1.35.1", "10.0.20348"),
		node("win-b", "us-east-1a", ownIDs[1], "v1.35.1", "10.0.20348"),
		node("win-c", "us-east-1b", eksIDs[0], "v1.35.1", "10.0.20348"))
	for _, p := range []*corev1.Pod{winPod("web-1", "win-a", web), winPod("app-1", "win-b", app)} {
		if _, err := kc.CoreV1().Pods("shop").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	rep, err := Run(ctx, Options{Kube: kc, AWS: w.aws, DefaultRegion: "us-east-1",
		Coverage: &CoverageOptions{Registry: images.Options{AttemptTimeout: 5 * time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Coverage) != 2 || len(rep.CoverageWarnings) != 0 {
		t.Fatalf("coverage %+v, warnings %v", rep.Coverage, rep.CoverageWarnings)
	}
	if n := nulls(t, rep); len(n) > 0 {
		t.Errorf("report with cache coverage has null at %v", n)
	}
	byAMI := map[string]images.Coverage{}
	for _, c := range rep.Coverage {
		byAMI[c.ImageID] = c
	}
	c := byAMI[own]
	if !c.CacheKnown || c.Nodes != 2 || c.Windows != "10.0.20348" || c.PullBytes != appOwnBytes || c.Covered != 1 ||
		len(c.Add) != 1 || c.Add[0] != app || len(c.Cached) != 1 {
		t.Errorf("winami AMI: %+v", c)
	}
	for _, ic := range c.Images {
		if ic.Image == app && (ic.Status != images.CoveragePartly || ic.CachedLayers != 2) || ic.Image == web && ic.Status != images.CoverageCached {
			t.Errorf("winami AMI image %+v", ic)
		}
	}
	e := byAMI[eks]
	if e.CacheKnown || e.Nodes != 1 || e.Note == "" || e.PullBytes <= appOwnBytes || e.Covered != 0 || len(e.Add) != 2 {
		t.Errorf("EKS-optimized AMI: %+v", e)
	}

	// CacheCoverage (images discover) gives the same answer without the audit.
	d, err := images.Discover(ctx, kc, images.DiscoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	covs, warns, err := CacheCoverage(ctx, Options{Kube: kc, AWS: w.aws, DefaultRegion: "us-east-1",
		Coverage: &CoverageOptions{Registry: images.Options{AttemptTimeout: 5 * time.Second}}}, d)
	if err != nil || len(warns) != 0 || len(covs) != 2 || covs[0].PullBytes != rep.Coverage[0].PullBytes || covs[1].PullBytes != rep.Coverage[1].PullBytes {
		t.Errorf("CacheCoverage: %v %v %+v", err, warns, covs)
	}

	// Without Options.Coverage the report has none (and reads no registry).
	before := reg.Count("GET", "/manifests/")
	rep, err = Run(ctx, Options{Kube: kc, AWS: w.aws, DefaultRegion: "us-east-1"})
	if err != nil || rep.Coverage != nil || reg.Count("GET", "/manifests/") != before {
		t.Errorf("no coverage asked: %v %+v", err, rep.Coverage)
	}
}
