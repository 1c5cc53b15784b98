package imagebuilder

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// InputTagKeys are the tag keys (IAM StringLike patterns) build's CreateTags may set on
// an AMI after Image Builder made it: the inputs (InputsHashTag, ParentImageTag,
// ComponentsTag, ImagesTag, SpecHashTag) and the cached image list (CachedImagesTag and
// its parts CachedImagesTag+":1", ":2", …, one pattern CachedImagesTag+"*"). ManagedByTag and NameTag are not among them:
// Image Builder puts them on the AMI when it makes it (the distribution's amiTags), and
// the operator policy lets no CreateTags set them, since prune's DeregisterImage is scoped
// on them (preflight.OperatorPolicy, statement TagImages).
func InputTagKeys() []string {
	return []string{InputsHashTag, ParentImageTag, ComponentsTag, ImagesTag, SpecHashTag, CachedImagesTag + "*"}
}

// missingTags are the tags of want the AMI does not already carry with the same value:
// what build's CreateTags sends. The winami:managed-by and winami:name tags Image Builder
// put on the AMI are left out, so the request asks only for InputTagKeys.
func missingTags(want map[string]string, existing []ec2types.Tag) map[string]string {
	have := map[string]string{}
	for _, t := range existing {
		have[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	out := map[string]string{}
	for k, v := range want {
		if cur, ok := have[k]; !ok || cur != v {
			out[k] = v
		}
	}
	return out
}
