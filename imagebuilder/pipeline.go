package imagebuilder

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
)

func (r *run) pipeline(ctx context.Context) (string, error) {
	want := *r.d.Pipeline
	want.ImageRecipeArn = aws.String(r.plan.RecipeARN)
	want.InfrastructureConfigurationArn = aws.String(r.plan.InfrastructureARN)
	want.DistributionConfigurationArn = aws.String(r.plan.DistributionARN)
	name := *want.Name
	tags := tagsWith(want.Tags, map[string]string{ManagedByTag: "winami", NameTag: r.d.Name})
	// Scanning off is compared as imageScanningEnabled: false, so that turning it off in
	// the spec updates a pipeline that scans (the create request leaves it out; update
	// sends it).
	wantMap := toJSONMap(want, mutableSkip...)
	scanning := want.ImageScanningConfiguration
	if scanning == nil {
		scanning = &types.ImageScanningConfiguration{ImageScanningEnabled: aws.Bool(false)}
		wantMap["imageScanningConfiguration"] = map[string]any{"imageScanningEnabled": false}
	}
	return r.mutable(ctx, mutable{
		resource: ResourcePipeline, name: name,
		want: wantMap,
		find: func(ctx context.Context) (string, map[string]any, error) {
			p := ib.NewListImagePipelinesPaginator(r.api, &ib.ListImagePipelinesInput{Filters: nameFilter(name)})
			return findNamed(ctx, p, "image pipelines", name,
				func(page *ib.ListImagePipelinesOutput) []types.ImagePipeline { return page.ImagePipelineList },
				func(pl types.ImagePipeline) (*string, *string) { return pl.Name, pl.Arn },
				func(_ context.Context, pl types.ImagePipeline) (map[string]any, error) {
					current := toJSONMap(pl)
					// A pipeline read without imageScanningConfiguration (or without its
					// flag, or with it null) does not scan.
					sc, _ := current["imageScanningConfiguration"].(map[string]any)
					if sc == nil {
						sc = map[string]any{}
						current["imageScanningConfiguration"] = sc
					}
					if sc["imageScanningEnabled"] == nil {
						sc["imageScanningEnabled"] = false
					}
					// The execution role is a name or an ARN; the same role written the other
					// way is no change (the API reference does not say which form
					// GetImagePipeline returns).
					if got, ok := current["executionRole"].(string); ok && want.ExecutionRole != nil && got != *want.ExecutionRole {
						gn, _ := RoleNameAndPath(got)
						wn, _ := RoleNameAndPath(*want.ExecutionRole)
						if gn == wn && (!strings.HasPrefix(got, "arn:") || !strings.HasPrefix(*want.ExecutionRole, "arn:")) {
							current["executionRole"] = *want.ExecutionRole
						}
					}
					return current, nil
				})
		},
		create: func(ctx context.Context) (string, error) {
			in := want
			in.Tags = tags
			in.ClientToken = nil
			in.ClientToken = aws.String(clientToken("CreateImagePipeline", in))
			out, err := r.api.CreateImagePipeline(ctx, &in)
			if err != nil {
				return "", err
			}
			return aws.ToString(out.ImagePipelineArn), nil
		},
		update: func(ctx context.Context, arn string, current map[string]any) error {
			in := ib.UpdateImagePipelineInput{
				ImagePipelineArn:               aws.String(arn),
				InfrastructureConfigurationArn: want.InfrastructureConfigurationArn,
				ContainerRecipeArn:             want.ContainerRecipeArn,
				Description:                    want.Description,
				DistributionConfigurationArn:   want.DistributionConfigurationArn,
				EnhancedImageMetadataEnabled:   want.EnhancedImageMetadataEnabled,
				ExecutionRole:                  want.ExecutionRole,
				ImageRecipeArn:                 want.ImageRecipeArn,
				ImageScanningConfiguration:     scanning,
				ImageTags:                      want.ImageTags,
				ImageTestsConfiguration:        want.ImageTestsConfiguration,
				LoggingConfiguration:           want.LoggingConfiguration,
				Schedule:                       want.Schedule,
				Status:                         want.Status,
				Workflows:                      want.Workflows,
			}
			in.ClientToken = aws.String(clientToken("UpdateImagePipeline", in, current))
			_, err := r.api.UpdateImagePipeline(ctx, &in)
			return err
		},
	})
}
