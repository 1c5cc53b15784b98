package imagebuilder

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winami/winami/awsapi"
)

// mutable is the common handling of the resources updated in place.
type mutable struct {
	resource string
	name     string
	// find returns the current resource's ARN and JSON view (arn "" when absent).
	find func(ctx context.Context) (arn string, current map[string]any, err error)
	// want is the desired request's JSON view.
	want map[string]any
	// create and update make the calls; they return the ARN.
	create func(ctx context.Context) (string, error)
	update func(ctx context.Context, arn string, current map[string]any) error
}

func (r *run) mutable(ctx context.Context, m mutable) (string, error) {
	arn, current, err := m.find(ctx)
	if err != nil {
		return "", err
	}
	r.learn(arn)
	if arn == "" {
		ch := Change{Resource: m.resource, Name: m.name, Action: ActionCreate, Reason: "no " + strings.ReplaceAll(m.resource, "-", " ") + " of this name"}
		if !r.apply {
			ch.ARN = r.placeholder(m.resource, m.name, "")
			r.add(ch)
			return ch.ARN, nil
		}
		arn, err := m.create(ctx)
		r.plan.Mutations++
		if awsapi.ErrorCode(err) == "ResourceAlreadyExistsException" {
			// Created since the listing (a concurrent apply): compare with it instead.
			if arn, current, err = m.find(ctx); err != nil {
				return "", err
			}
		} else if err != nil {
			return "", fmt.Errorf("creating %s %s: %w", strings.ReplaceAll(m.resource, "-", " "), m.name, err)
		} else {
			ch.ARN = arn
			r.add(ch)
			r.opts.logf("%s %s: created", m.resource, m.name)
			return arn, nil
		}
		if arn == "" {
			return "", fmt.Errorf("creating %s %s: it already exists but cannot be found by name", strings.ReplaceAll(m.resource, "-", " "), m.name)
		}
	}
	paths := diffSubset("", m.want, current)
	if len(paths) == 0 {
		r.add(Change{Resource: m.resource, Name: m.name, Action: ActionUnchanged, ARN: arn, Reason: "matches the spec"})
		return arn, nil
	}
	ch := Change{Resource: m.resource, Name: m.name, Action: ActionUpdate, ARN: arn, Reason: describeDiff(paths, m.want, current)}
	if r.apply {
		err := m.update(ctx, arn, current)
		r.plan.Mutations++
		if err != nil {
			return "", fmt.Errorf("updating %s %s: %w", strings.ReplaceAll(m.resource, "-", " "), m.name, err)
		}
		r.opts.logf("%s %s: updated (%s)", m.resource, m.name, ch.Reason)
	}
	r.add(ch)
	return arn, nil
}

// nameFilter is the list filter for one name.
func nameFilter(name string) []types.Filter {
	return []types.Filter{{Name: aws.String("name"), Values: []string{name}}}
}

// pager is an Image Builder list paginator.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(ctx context.Context, optFns ...func(*ib.Options)) (O, error)
}

// findNamed walks a listing (of what) for the item called name and returns its ARN and
// the JSON view read returns for it (ARN "" when there is none).
func findNamed[O, S any](ctx context.Context, p pager[O], what, name string, items func(O) []S,
	id func(S) (name, arn *string), read func(context.Context, S) (map[string]any, error)) (string, map[string]any, error) {
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", nil, fmt.Errorf("listing %s: %w", what, err)
		}
		for _, s := range items(page) {
			n, arn := id(s)
			if aws.ToString(n) != name {
				continue
			}
			current, err := read(ctx, s)
			if err != nil {
				return "", nil, err
			}
			return aws.ToString(arn), current, nil
		}
	}
	return "", nil, nil
}

var mutableSkip = []string{"clientToken", "name", "tags", "dryRun"}

func (r *run) infrastructure(ctx context.Context) (string, error) {
	want := r.d.Infrastructure
	name := *want.Name
	tags := tagsWith(want.Tags, map[string]string{ManagedByTag: "winami", NameTag: r.d.Name})
	return r.mutable(ctx, mutable{
		resource: ResourceInfrastructure, name: name,
		want: toJSONMap(want, mutableSkip...),
		find: func(ctx context.Context) (string, map[string]any, error) {
			p := ib.NewListInfrastructureConfigurationsPaginator(r.api, &ib.ListInfrastructureConfigurationsInput{Filters: nameFilter(name)})
			return findNamed(ctx, p, "infrastructure configurations", name,
				func(page *ib.ListInfrastructureConfigurationsOutput) []types.InfrastructureConfigurationSummary {
					return page.InfrastructureConfigurationSummaryList
				},
				func(s types.InfrastructureConfigurationSummary) (*string, *string) { return s.Name, s.Arn },
				func(ctx context.Context, s types.InfrastructureConfigurationSummary) (map[string]any, error) {
					got, err := r.api.GetInfrastructureConfiguration(ctx, &ib.GetInfrastructureConfigurationInput{InfrastructureConfigurationArn: s.Arn})
					if err != nil {
						return nil, fmt.Errorf("reading infrastructure configuration %s: %w", name, err)
					}
					return toJSONMap(got.InfrastructureConfiguration), nil
				})
		},
		create: func(ctx context.Context) (string, error) {
			in := *want
			in.Tags = tags
			in.ClientToken = nil
			in.ClientToken = aws.String(clientToken("CreateInfrastructureConfiguration", in))
			out, err := r.api.CreateInfrastructureConfiguration(ctx, &in)
			if err != nil {
				return "", err
			}
			return aws.ToString(out.InfrastructureConfigurationArn), nil
		},
		update: func(ctx context.Context, arn string, current map[string]any) error {
			in := ib.UpdateInfrastructureConfigurationInput{
				InfrastructureConfigurationArn: aws.String(arn),
				InstanceProfileName:            want.InstanceProfileName,
				Description:                    want.Description,
				InstanceMetadataOptions:        want.InstanceMetadataOptions,
				InstanceTypes:                  want.InstanceTypes,
				KeyPair:                        want.KeyPair,
				Logging:                        want.Logging,
				Placement:                      want.Placement,
				ResourceTags:                   want.ResourceTags,
				SecurityGroupIds:               want.SecurityGroupIds,
				SnsTopicArn:                    want.SnsTopicArn,
				SubnetId:                       want.SubnetId,
				TerminateInstanceOnFailure:     want.TerminateInstanceOnFailure,
			}
			in.ClientToken = aws.String(clientToken("UpdateInfrastructureConfiguration", in, current))
			_, err := r.api.UpdateInfrastructureConfiguration(ctx, &in)
			return err
		},
	})
}

// withPublish returns the distributions with the publish parameter in each region's
// ssmParameterConfigurations: the build account's entry and one per PublishAccounts
// account (amiAccountId), each added where it is not there already. With
// PublishAfterScan the distribution writes no parameter (winami build publishes after the
// scan), so entries of the parameter are removed instead.
func (r *run) withPublish() []types.Distribution {
	out := make([]types.Distribution, len(r.d.Distribution.Distributions))
	param := r.d.PublishParameter
	for i, dist := range r.d.Distribution.Distributions {
		out[i] = dist
		if param == "" {
			continue
		}
		if r.d.PublishAfterScan {
			var keep []types.SsmParameterConfiguration
			for _, p := range dist.SsmParameterConfigurations {
				if aws.ToString(p.ParameterName) != param {
					keep = append(keep, p)
				}
			}
			out[i].SsmParameterConfigurations = keep
			continue
		}
		has := func(account string) bool {
			for _, p := range out[i].SsmParameterConfigurations {
				if aws.ToString(p.ParameterName) == param && aws.ToString(p.AmiAccountId) == account {
					return true
				}
			}
			return false
		}
		cfgs := append([]types.SsmParameterConfiguration(nil), dist.SsmParameterConfigurations...)
		out[i].SsmParameterConfigurations = cfgs
		if !has("") {
			out[i].SsmParameterConfigurations = append(out[i].SsmParameterConfigurations,
				types.SsmParameterConfiguration{ParameterName: aws.String(param), DataType: types.SsmParameterDataTypeAwsEc2Image})
		}
		for _, a := range r.d.PublishAccounts {
			if !has(a) {
				out[i].SsmParameterConfigurations = append(out[i].SsmParameterConfigurations,
					types.SsmParameterConfiguration{AmiAccountId: aws.String(a), ParameterName: aws.String(param), DataType: types.SsmParameterDataTypeAwsEc2Image})
			}
		}
	}
	return out
}

func (r *run) distribution(ctx context.Context) (string, error) {
	want := *r.d.Distribution
	want.Distributions = r.withPublish()
	name := *want.Name
	tags := tagsWith(want.Tags, map[string]string{ManagedByTag: "winami", NameTag: r.d.Name})
	return r.mutable(ctx, mutable{
		resource: ResourceDistribution, name: name,
		want: toJSONMap(want, mutableSkip...),
		find: func(ctx context.Context) (string, map[string]any, error) {
			p := ib.NewListDistributionConfigurationsPaginator(r.api, &ib.ListDistributionConfigurationsInput{Filters: nameFilter(name)})
			return findNamed(ctx, p, "distribution configurations", name,
				func(page *ib.ListDistributionConfigurationsOutput) []types.DistributionConfigurationSummary {
					return page.DistributionConfigurationSummaryList
				},
				func(s types.DistributionConfigurationSummary) (*string, *string) { return s.Name, s.Arn },
				func(ctx context.Context, s types.DistributionConfigurationSummary) (map[string]any, error) {
					got, err := r.api.GetDistributionConfiguration(ctx, &ib.GetDistributionConfigurationInput{DistributionConfigurationArn: s.Arn})
					if err != nil {
						return nil, fmt.Errorf("reading distribution configuration %s: %w", name, err)
					}
					return toJSONMap(got.DistributionConfiguration), nil
				})
		},
		create: func(ctx context.Context) (string, error) {
			in := want
			in.Tags = tags
			in.ClientToken = nil
			in.ClientToken = aws.String(clientToken("CreateDistributionConfiguration", in))
			out, err := r.api.CreateDistributionConfiguration(ctx, &in)
			if err != nil {
				return "", err
			}
			return aws.ToString(out.DistributionConfigurationArn), nil
		},
		update: func(ctx context.Context, arn string, current map[string]any) error {
			in := ib.UpdateDistributionConfigurationInput{
				DistributionConfigurationArn: aws.String(arn),
				Distributions:                want.Distributions,
				Description:                  want.Description,
			}
			in.ClientToken = aws.String(clientToken("UpdateDistributionConfiguration", in, current))
			_, err := r.api.UpdateDistributionConfiguration(ctx, &in)
			return err
		},
	})
}
