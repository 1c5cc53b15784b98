package imagebuilder

import (
	"fmt"
	"slices"
	"strings"
	"testing"
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
