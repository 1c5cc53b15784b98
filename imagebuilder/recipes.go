package imagebuilder

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
)

func cloneRecipe(in *ib.CreateImageRecipeInput) *ib.CreateImageRecipeInput {
	out := *in
	out.Components = append([]types.ComponentConfiguration(nil), in.Components...)
	out.BlockDeviceMappings = append([]types.InstanceBlockDeviceMapping(nil), in.BlockDeviceMappings...)
	for i, m := range out.BlockDeviceMappings {
		if m.Ebs != nil {
			e := *m.Ebs
			out.BlockDeviceMappings[i].Ebs = &e
		}
	}
	return &out
}

func (r *run) recipeVersions(ctx context.Context, name string) ([]versioned, error) {
	var out []versioned
	p := ib.NewListImageRecipesPaginator(r.api, &ib.ListImageRecipesInput{
		Owner:   types.OwnershipSelf,
		Filters: nameFilter(name),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing versions of image recipe %s: %w", name, err)
		}
		for _, s := range page.ImageRecipeSummaryList {
			if aws.ToString(s.Name) != name {
				continue
			}
			r.learn(aws.ToString(s.Arn))
			_, _, version, _ := arnParts(aws.ToString(s.Arn))
			v := versioned{arn: aws.ToString(s.Arn), version: version, hash: s.Tags[ContentHashTag]}
			if s.Tags == nil {
				got, err := r.api.GetImageRecipe(ctx, &ib.GetImageRecipeInput{ImageRecipeArn: s.Arn})
				if err != nil {
					return nil, fmt.Errorf("reading image recipe %s: %w", v.arn, err)
				}
				if got.ImageRecipe != nil {
					v.hash = got.ImageRecipe.Tags[ContentHashTag]
				}
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// recipe plans or applies the image recipe and returns its version ARN.
func (r *run) recipe(ctx context.Context, want *ib.CreateImageRecipeInput) (string, error) {
	hash := RecipeHash(want)
	return r.immutable(ctx, immutable{
		resource: ResourceRecipe, name: *want.Name, hash: hash, semver: aws.ToString(want.SemanticVersion),
		versions: r.recipeVersions,
		diff: func(ctx context.Context, last *versioned) string {
			got, err := r.api.GetImageRecipe(ctx, &ib.GetImageRecipeInput{ImageRecipeArn: aws.String(last.arn)})
			if err != nil || got.ImageRecipe == nil {
				return ""
			}
			w := toJSONMap(want, "clientToken", "name", "semanticVersion", "tags")
			g := toJSONMap(got.ImageRecipe)
			return describeDiff(diffSubset("", w, g), w, g)
		},
		create: func(ctx context.Context, version string) (string, error) {
			in := *want
			in.SemanticVersion = aws.String(version)
			in.Tags = tagsWith(want.Tags, map[string]string{ManagedByTag: "winami", NameTag: r.d.Name, ContentHashTag: hash})
			in.ClientToken = nil
			in.ClientToken = aws.String(clientToken("CreateImageRecipe", in))
			out, err := r.api.CreateImageRecipe(ctx, &in)
			if err != nil {
				return "", err
			}
			return aws.ToString(out.ImageRecipeArn), nil
		},
	})
}
