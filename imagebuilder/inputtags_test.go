package imagebuilder

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// matchesKey matches an IAM StringLike pattern of InputTagKeys (a trailing * at most).
func matchesKey(pattern, key string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(key, p)
	}
	return pattern == key
}

// TestBuildTagsOnlyInputKeys: on an AMI Image Builder made for winami (which carries
// winami:managed-by and winami:name from the distribution's amiTags), the tags build sends
// are all InputTagKeys, the keys the operator policy's TagImages statement allows; the
// keys prune selects on are never sent. With a cached image list long enough to take
// several parts, every part's key matches too.
func TestBuildTagsOnlyInputKeys(t *testing.T) {
	var refs []string
	for i := 0; i < 30; i++ {
		refs = append(refs, "111122223333.dkr.ecr.us-east-1.amazonaws.com/team/app-"+strings.Repeat("x", 20)+":1.0")
	}
	in := Inputs{Components: map[string]string{"a": "1.0.0/1"}, ParentImage: "ami-0123456789abcdef0", Images: refs, SpecHash: "h"}
	existing := []ec2types.Tag{
		{Key: aws.String("CreatedBy"), Value: aws.String("EC2 Image Builder")},
		{Key: aws.String("Ec2ImageBuilderArn"), Value: aws.String("arn:aws:imagebuilder:us-east-1:111122223333:image/prod/1.0.0/1")},
		{Key: aws.String(ManagedByTag), Value: aws.String("winami")},
		{Key: aws.String(NameTag), Value: aws.String("prod")},
	}
	sent := missingTags(in.tagsFor("prod", existing), existing)
	if sent[CachedImagesTag+":2"] == "" {
		t.Fatalf("the list takes one part only: %v", sent)
	}
	for k := range sent {
		ok := false
		for _, p := range InputTagKeys() {
			ok = ok || matchesKey(p, k)
		}
		if !ok {
			t.Errorf("build sends %s, which the operator policy does not let it set", k)
		}
	}
	for _, k := range []string{ManagedByTag, NameTag, "CreatedBy", "Ec2ImageBuilderArn", "winami:prune-pending"} {
		for _, p := range InputTagKeys() {
			if matchesKey(p, k) {
				t.Errorf("InputTagKeys pattern %s lets CreateTags set %s", p, k)
			}
		}
	}
	// An AMI whose amiTags named it otherwise still gets winami:name sent (and the policy
	// refuses it: the build fails rather than renaming the AMI).
	existing[3].Value = aws.String("other")
	if got := missingTags(in.tagsFor("prod", existing), existing); got[NameTag] != "prod" || got[ManagedByTag] != "" {
		t.Errorf("tags sent to a renamed AMI: %v", got)
	}
}
