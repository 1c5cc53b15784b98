package imagebuilder

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/spec"
)

func TestCachedImagesTags(t *testing.T) {
	long := "111000111000.dkr.ecr.us-east-1.amazonaws.com/team/" + strings.Repeat("a", 200) + ":1.0@sha256:" + strings.Repeat("0", 64)
	for _, refs := range [][]string{
		{},
		{"mcr.microsoft.com/windows/servercore:ltsc2022"},
		{long, long + "x", "mcr.microsoft.com/dotnet/framework/aspnet:4.8@sha256:" + strings.Repeat("f", 64)},
	} {
		tags := CachedImagesTags(refs)
		for k, v := range tags {
			if len(v) > maxTagValue || len(k) > 128 {
				t.Errorf("tag %s: %d characters", k, len(v))
			}
		}
		got, ok := CachedImages(tags)
		if !ok || !slices.Equal(got, refs) {
			t.Errorf("round trip of %d refs: %v %v", len(refs), ok, got)
		}
		// A missing part is not taken for a shorter list.
		if len(tags) > 2 {
			delete(tags, CachedImagesTag+":2")
			if _, ok := CachedImages(tags); ok {
				t.Error("a list with a part missing was read as complete")
			}
		}
	}
	var many []string
	for i := 0; i < 200; i++ {
		many = append(many, fmt.Sprintf("registry.example.com/app%d:1.0@sha256:%064d", i, i))
	}
	tags := CachedImagesTags(many)
	if len(tags) != 1 || !strings.HasPrefix(tags[CachedImagesTag], "200 ") {
		t.Errorf("200 refs: %d tags %v", len(tags), tags[CachedImagesTag])
	}
	if _, ok := CachedImages(tags); ok {
		t.Error("an unlisted cache was read as known")
	}
	if _, ok := CachedImages(map[string]string{ImagesTag: "abc"}); ok {
		t.Error("an AMI with the hash only was read as known")
	}
}

// TestInputTagsFitTheAMI: with spec.MaxAMITags amiTags and Image Builder's two tags on
// the AMI, the build's input tags fit EC2's 50 (the list of cached images takes the room
// left, or is left out); with fewer amiTags the list is written.
func TestInputTagsFitTheAMI(t *testing.T) {
	var refs []string
	for i := 0; i < 12; i++ {
		refs = append(refs, fmt.Sprintf("111000111000.dkr.ecr.us-east-1.amazonaws.com/team/app%d:1.0@sha256:%064d", i, i))
	}
	in := Inputs{ParentImage: "ami-0123456789abcdef0", Images: refs, SpecHash: "abc"}
	imageBuilders := []ec2types.Tag{{Key: aws.String("CreatedBy"), Value: aws.String("EC2 Image Builder")},
		{Key: aws.String("Ec2ImageBuilderArn"), Value: aws.String("arn:aws:imagebuilder:us-east-1:111000111000:image/x/1.0.0/1")}}
	fixed := 0
	for k := range in.Tags("prod") {
		if !strings.HasPrefix(k, CachedImagesTag+":") {
			fixed++
		}
	}
	if fixed != MaxTagsPerResource-len(imageBuilders)-spec.MaxAMITags {
		t.Fatalf("winami writes %d input tags besides the list; spec.MaxAMITags (%d) counts %d", fixed, spec.MaxAMITags, MaxTagsPerResource-len(imageBuilders)-spec.MaxAMITags)
	}
	for _, amiTags := range []int{0, 30, spec.MaxAMITags} {
		existing := slices.Clone(imageBuilders)
		for i := 0; i < amiTags; i++ {
			existing = append(existing, ec2types.Tag{Key: aws.String(fmt.Sprintf("team-%d", i)), Value: aws.String("x")})
		}
		tags := in.tagsFor("prod", existing)
		if total := len(tags) + len(existing); total > MaxTagsPerResource {
			t.Errorf("%d amiTags: %d tags on the AMI, more than %d", amiTags, total, MaxTagsPerResource)
		}
		got, listed := CachedImages(tags)
		if want := amiTags < spec.MaxAMITags; listed != want || (listed && !slices.Equal(got, refs)) {
			t.Errorf("%d amiTags: cached images listed %v (%d refs), want listed %v", amiTags, listed, len(got), want)
		}
		if n := tags[CachedImagesTag]; !strings.HasPrefix(n, "12") {
			t.Errorf("%d amiTags: %s = %q, want the count", amiTags, CachedImagesTag, n)
		}
	}
}
