package imagebuilder

import (
	"fmt"
	"strconv"
	"strings"
)

// Why the AMI's own tags record what it caches. The winami:images tag is a hash and cannot
// be read back. Image Builder's route (the Ec2ImageBuilderArn tag it adds to every output
// AMI → GetImage → imageRecipe.components → GetComponent → the document's data; EC2 Image
// Builder User Guide, "Tag Image Builder output resources",
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/tag-resources.html, and API
// Reference GetImage/GetImageRecipe/GetComponent) would parse PowerShell text, need
// imagebuilder:Get* in the auditing identity and Image Builder resources that lifecycle
// policies and clean-ups delete; the AMI's tags travel with it to every distribution
// region (winami tags each copy) and cost the audit no call beyond the DescribeImages it
// makes anyway.
//
// AWS tag restrictions (the same for EC2 as for every tagging service, e.g. AWS Batch
// User Guide, "Tag restrictions",
// https://docs.aws.amazon.com/batch/latest/userguide/tag-restrictions.html): at most 50
// user tags per resource, keys up to 128 and values up to 256 Unicode characters; letters,
// numbers, spaces and + - = . _ : / @ are allowed across services. Image references use
// only letters, digits and . _ - / : @, and never a space, so a space separates them.
// awsemu's EC2 CreateTags enforces the 256-character value and the 50-tag limit.
const (
	maxTagValue = 256
	// MaxTagsPerResource is EC2's limit of user tags on one resource (an AMI).
	MaxTagsPerResource = 50
	// MaxCachedImagesParts bounds the tags the cached image list may take (20 × 256
	// characters, some 40–60 references), leaving the rest of the 50 for winami's other
	// tags, Image Builder's (CreatedBy, Ec2ImageBuilderArn) and spec.distribution amiTags.
	MaxCachedImagesParts = 20
)

// CachedImagesTags are the AMI tags that record the cached image references: the count
// in CachedImagesTag and the space-separated list cut in 256-character parts in
// CachedImagesTag+":1", ":2", …. The list is left out (the count alone is written, as
// "<n> (not listed: too long)") when it would take more than MaxCachedImagesParts tags.
func CachedImagesTags(refs []string) map[string]string {
	return CachedImagesTagsWithin(refs, MaxCachedImagesParts)
}

// CachedImagesTagsWithin is CachedImagesTags with the list cut in at most maxParts tags
// (the room the AMI has left under MaxTagsPerResource); the count alone is written when
// the list needs more.
func CachedImagesTagsWithin(refs []string, maxParts int) map[string]string {
	tags := map[string]string{CachedImagesTag: strconv.Itoa(len(refs))}
	list := strings.Join(refs, " ")
	parts := (len(list) + maxTagValue - 1) / maxTagValue
	if parts > min(maxParts, MaxCachedImagesParts) {
		tags[CachedImagesTag] = fmt.Sprintf("%d (not listed: too long)", len(refs))
		return tags
	}
	for i := 0; i < parts; i++ {
		tags[fmt.Sprintf("%s:%d", CachedImagesTag, i+1)] = list[i*maxTagValue : min(len(list), (i+1)*maxTagValue)]
	}
	return tags
}

// CachedImages reads back the list CachedImagesTags recorded on an AMI. ok is false when
// the AMI does not record it (not built by winami, or before winami recorded it), or
// recorded only the count, or a part is missing.
func CachedImages(tags map[string]string) (refs []string, ok bool) {
	n, err := strconv.Atoi(tags[CachedImagesTag])
	if err != nil || n < 0 {
		return nil, false
	}
	var b strings.Builder
	for i := 1; ; i++ {
		part, found := tags[fmt.Sprintf("%s:%d", CachedImagesTag, i)]
		if !found {
			break
		}
		b.WriteString(part)
	}
	refs = strings.Fields(b.String())
	if len(refs) != n {
		return nil, false
	}
	if refs == nil {
		refs = []string{}
	}
	return refs, true
}
