package awse2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	ibtypes "github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

// The clean-up deletes, by name and tag, whatever the run's prefix names: it needs no
// record of what the flow got to create, so it also finishes a run that failed half-way
// (and, through TestSweep, one that was killed). Nothing whose name does not start with
// the prefix is touched.

// registerCleanup registers, before the flow creates anything, the functions that delete
// what it may create. t.Cleanup runs them newest first: running builds are cancelled,
// then the AMIs and snapshots go (Fast Launch disabled first), then the SSM parameters,
// the Image Builder resources, the roles and instance profile, and last the check that
// nothing of the run is left.
func (w *world) registerCleanup(t *testing.T) {
	step := func(name string, fn func(ctx context.Context) []error) {
		t.Cleanup(func() {
			ctx, cancel := w.cleanupContext(t)
			defer cancel()
			start := time.Now()
			errs := fn(ctx)
			for _, err := range errs {
				t.Errorf("clean-up (%s): %v", name, err)
			}
			t.Logf("clean-up (%s): %d error(s) in %s", name, len(errs), time.Since(start).Round(time.Millisecond))
		})
	}
	step("leftovers", func(ctx context.Context) []error {
		var errs []error
		for _, l := range w.leftovers(ctx, t) {
			errs = append(errs, fmt.Errorf("left behind: %s", l))
		}
		return errs
	})
	step("roles", func(ctx context.Context) []error { return w.sweepIAM(ctx, t) })
	step("log groups", func(ctx context.Context) []error { return w.sweepLogGroups(ctx, t) })
	step("image builder", func(ctx context.Context) []error { return w.sweepImageBuilder(ctx, t) })
	step("parameters", func(ctx context.Context) []error { return w.sweepParameters(ctx, t) })
	step("amis", func(ctx context.Context) []error { return w.sweepAMIs(ctx, t) })
	step("running builds", func(ctx context.Context) []error { return w.cancelBuilds(ctx, t) })
}

// sweep runs every clean-up step in order and returns the errors and what is left.
func (w *world) sweep(ctx context.Context, t *testing.T) (errs []error, left []string) {
	errs = append(errs, w.cancelBuilds(ctx, t)...)
	errs = append(errs, w.sweepAMIs(ctx, t)...)
	errs = append(errs, w.sweepParameters(ctx, t)...)
	errs = append(errs, w.sweepImageBuilder(ctx, t)...)
	errs = append(errs, w.sweepLogGroups(ctx, t)...)
	errs = append(errs, w.sweepIAM(ctx, t)...)
	return errs, w.leftovers(ctx, t)
}

// TestSweep deletes what a killed run left, by its prefix:
//
//	WINAMI_E2E_AWS=1 WINAMI_E2E_AWS_SWEEP=winami-e2e-1a2b3c4d go test -timeout 3h -v -run TestSweep ./e2e/aws/
//
// with the run's AWS_PROFILE, AWS_REGION and WINAMI_E2E_AWS_REGIONS. Without WINAMI_E2E_AWS_SWEEP it has nothing to do (the flow's own clean-up is tested by
// every run of TestAcceptance).
func TestSweep(t *testing.T) {
	prefix := os.Getenv(envSweep)
	if prefix == "" {
		t.Skipf("%s is not set: nothing to sweep", envSweep)
	}
	if !prefixRE.MatchString(prefix) {
		t.Fatalf("%s=%q: want a run prefix such as winami-e2e-1a2b3c4d (the test log names it)", envSweep, prefix)
	}
	kind, err := selectWorld(os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	if kind != awsWorld {
		t.Fatalf("%s needs %s=1: a sandbox keeps nothing between runs", envSweep, envAWS)
	}
	w := newAWS(t, 2*time.Hour)
	w.prefix = prefix
	ctx, cancel := w.cleanupContext(t)
	defer cancel()
	errs, left := w.sweep(ctx, t)
	for _, err := range errs {
		t.Error(err)
	}
	for _, l := range left {
		t.Errorf("still there: %s", l)
	}
}

// apiCode is the AWS error code of err ("" when it is not an AWS API error).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// gone reports an error that says the resource does not exist (any more).
func gone(err error) bool {
	switch apiCode(err) {
	case "InvalidAMIID.NotFound", "InvalidAMIID.Unavailable", "InvalidSnapshot.NotFound", "ParameterNotFound",
		"ResourceNotFoundException", "NoSuchEntity":
		return true
	}
	return false
}

// unsupported reports an operation the endpoint does not serve: only the sandbox may
// answer so (awsemu does not implement every clean-up call AWS has).
func (w *world) unsupported(err error) bool {
	c := apiCode(err)
	return w.kind == sandboxWorld && (c == "UnknownOperationException" || c == "InvalidAction")
}

// retry calls fn until it succeeds, the resource is gone, the endpoint says it does not
// serve the call, or the attempts or ctx run out; pauses start at the world's retryBase
// and double up to 12 times that.
func (w *world) retry(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	delay := w.retryBase
	var err error
	for attempt := 1; ; attempt++ {
		if err = fn(ctx); err == nil || gone(err) {
			return nil
		}
		if w.unsupported(err) || attempt == 6 {
			return fmt.Errorf("%s: %w (after %d attempts)", what, err, attempt)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
		case <-time.After(delay):
		}
		delay = min(2*delay, 12*w.retryBase)
	}
}

// waitFor polls cond every interval until it returns true, an error, or timeout passes.
func waitFor(ctx context.Context, what string, interval, timeout time.Duration, cond func(ctx context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ok, err := cond(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(interval):
		}
	}
}

func (w *world) owned(name string) bool { return strings.HasPrefix(name, w.prefix) }

func terminal(s ibtypes.ImageStatus) bool {
	switch s {
	case ibtypes.ImageStatusAvailable, ibtypes.ImageStatusFailed, ibtypes.ImageStatusCancelled,
		ibtypes.ImageStatusDeprecated, ibtypes.ImageStatusDeleted, ibtypes.ImageStatusDisabled:
		return true
	}
	return false
}

// pipelines lists the run's image pipelines.
func (w *world) pipelines(ctx context.Context) ([]ibtypes.ImagePipeline, error) {
	var out []ibtypes.ImagePipeline
	p := imagebuilder.NewListImagePipelinesPaginator(w.ib(), &imagebuilder.ListImagePipelinesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing image pipelines: %w", err)
		}
		for _, pl := range page.ImagePipelineList {
			if w.owned(aws.ToString(pl.Name)) {
				out = append(out, pl)
			}
		}
	}
	return out, nil
}

// pipelineImages lists the Image Builder images of a pipeline.
func (w *world) pipelineImages(ctx context.Context, pipelineARN string) ([]ibtypes.ImageSummary, error) {
	var out []ibtypes.ImageSummary
	p := imagebuilder.NewListImagePipelineImagesPaginator(w.ib(), &imagebuilder.ListImagePipelineImagesInput{ImagePipelineArn: aws.String(pipelineARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the images of %s: %w", pipelineARN, err)
		}
		out = append(out, page.ImageSummaryList...)
	}
	return out, nil
}

// cancelBuilds cancels the run's builds still in progress and waits until they stop, so
// that no build distributes an AMI after the AMIs are swept (or keeps an instance running).
func (w *world) cancelBuilds(ctx context.Context, t *testing.T) []error {
	pls, err := w.pipelines(ctx)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, pl := range pls {
		imgs, err := w.pipelineImages(ctx, aws.ToString(pl.Arn))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, img := range imgs {
			if img.State == nil || terminal(img.State.Status) {
				continue
			}
			arn := aws.ToString(img.Arn)
			t.Logf("clean-up: cancelling build %s (%s)", arn, img.State.Status)
			if _, err := w.ib().CancelImageCreation(ctx, &imagebuilder.CancelImageCreationInput{ImageBuildVersionArn: aws.String(arn)}); err != nil {
				t.Logf("clean-up: cancelling %s: %v (waiting for it to end instead)", arn, err)
			}
			err := waitFor(ctx, "waiting for build "+arn+" to stop", w.buildPoll, w.buildTimeout, func(ctx context.Context) (bool, error) {
				out, err := w.ib().GetImage(ctx, &imagebuilder.GetImageInput{ImageBuildVersionArn: aws.String(arn)})
				if err != nil {
					return gone(err), nilIfGone(err)
				}
				return out.Image.State == nil || terminal(out.Image.State.Status), nil
			})
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errs
}

func nilIfGone(err error) error {
	if gone(err) {
		return nil
	}
	return err
}

// ownImages lists, in region, the account's AMIs of the run: tagged by the suite, or
// named after the prefix (the spec's AMI name starts with metadata.name).
func (w *world) ownImages(ctx context.Context, region string) ([]ec2types.Image, error) {
	seen := map[string]bool{}
	var out []ec2types.Image
	for _, f := range []ec2types.Filter{
		{Name: aws.String("tag:" + suiteTag), Values: []string{w.prefix}},
		{Name: aws.String("name"), Values: []string{w.prefix + "-*"}},
	} {
		res, err := w.ec2(region).DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, Filters: []ec2types.Filter{f}})
		if err != nil {
			return nil, fmt.Errorf("listing the run's AMIs in %s: %w", region, err)
		}
		for _, img := range res.Images {
			if id := aws.ToString(img.ImageId); !seen[id] {
				seen[id] = true
				out = append(out, img)
			}
		}
	}
	return out, nil
}

// fastLaunchOf returns the Fast Launch state of an AMI ("" when it has none).
func (w *world) fastLaunchOf(ctx context.Context, region, id string) (string, error) {
	out, err := w.ec2(region).DescribeFastLaunchImages(ctx, &ec2.DescribeFastLaunchImagesInput{ImageIds: []string{id}})
	if err != nil {
		if gone(err) {
			return "", nil
		}
		return "", fmt.Errorf("describing Fast Launch of %s in %s: %w", id, region, err)
	}
	for _, fl := range out.FastLaunchImages {
		if aws.ToString(fl.ImageId) == id {
			return string(fl.State), nil
		}
	}
	return "", nil
}

// sweepAMIs deletes the run's AMIs in every region: Fast Launch disabled (and its
// pre-provisioned snapshots gone) first, then the AMI deregistered, then its snapshots
// and any other snapshot the suite tagged.
func (w *world) sweepAMIs(ctx context.Context, t *testing.T) []error {
	var errs []error
	for _, region := range w.regions {
		c := w.ec2(region)
		imgs, err := w.ownImages(ctx, region)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		snaps := map[string]bool{}
		for _, img := range imgs {
			id := aws.ToString(img.ImageId)
			if err := w.disableFastLaunch(ctx, t, region, id); err != nil {
				errs = append(errs, err)
				continue // deregistering an AMI with Fast Launch on would strand its snapshots
			}
			for _, bdm := range img.BlockDeviceMappings {
				if bdm.Ebs != nil && bdm.Ebs.SnapshotId != nil {
					snaps[*bdm.Ebs.SnapshotId] = true
				}
			}
			err := w.retry(ctx, "deregistering "+id+" in "+region, func(ctx context.Context) error {
				_, err := c.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(id)})
				return err
			})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			t.Logf("clean-up: %s: deregistered %s", region, id)
		}
		tagged, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
			Filters: []ec2types.Filter{{Name: aws.String("tag:" + suiteTag), Values: []string{w.prefix}}}})
		if err != nil {
			errs = append(errs, fmt.Errorf("listing the run's snapshots in %s: %w", region, err))
		} else {
			for _, s := range tagged.Snapshots {
				snaps[aws.ToString(s.SnapshotId)] = true
			}
		}
		for _, id := range slices.Sorted(maps.Keys(snaps)) {
			err := w.retry(ctx, "deleting snapshot "+id+" in "+region, func(ctx context.Context) error {
				_, err := c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(id)})
				return err
			})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			t.Logf("clean-up: %s: deleted snapshot %s", region, id)
		}
	}
	return errs
}

// disableFastLaunch turns Fast Launch off for an AMI and waits until it is off (its
// pre-provisioned snapshots gone).
func (w *world) disableFastLaunch(ctx context.Context, t *testing.T, region, id string) error {
	state, err := w.fastLaunchOf(ctx, region, id)
	if err != nil {
		return err
	}
	switch state {
	case "", "disabled": // EC2's enum has no "disabled"; winami and awsemu report it
		return nil
	case string(ec2types.FastLaunchStateCodeDisabling):
	default: // enabling, enabled, or one of the *-failed states
		t.Logf("clean-up: %s: disabling Fast Launch of %s (%s)", region, id, state)
		err := w.retry(ctx, "disabling Fast Launch of "+id+" in "+region, func(ctx context.Context) error {
			_, err := w.ec2(region).DisableFastLaunch(ctx, &ec2.DisableFastLaunchInput{ImageId: aws.String(id), Force: aws.Bool(true)})
			return err
		})
		if err != nil {
			return err
		}
	}
	return waitFor(ctx, "waiting for Fast Launch of "+id+" in "+region+" to be disabled", w.flPoll, w.flTimeout, func(ctx context.Context) (bool, error) {
		s, err := w.fastLaunchOf(ctx, region, id)
		return s == "" || s == "disabled", err
	})
}

// sweepParameters deletes the run's SSM parameters in every region.
func (w *world) sweepParameters(ctx context.Context, t *testing.T) []error {
	var errs []error
	for _, region := range w.regions {
		names, err := w.ownParameters(ctx, region)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, name := range names {
			err := w.retry(ctx, "deleting parameter "+name+" in "+region, func(ctx context.Context) error {
				_, err := w.ssm(region).DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(name)})
				return err
			})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			t.Logf("clean-up: %s: deleted parameter %s", region, name)
		}
	}
	return errs
}

// ownParameters lists the run's SSM parameters in region (all under /winami-e2e/<prefix>/).
func (w *world) ownParameters(ctx context.Context, region string) ([]string, error) {
	var names []string
	p := ssm.NewGetParametersByPathPaginator(w.ssm(region), &ssm.GetParametersByPathInput{Path: aws.String("/winami-e2e/" + w.prefix), Recursive: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the run's parameters in %s: %w", region, err)
		}
		for _, prm := range page.Parameters {
			names = append(names, aws.ToString(prm.Name))
		}
	}
	return names, nil
}

// ibResource is one Image Builder resource of the run.
type ibResource struct{ kind, arn string }

// ownImageBuilder lists the run's Image Builder resources in the build region, in the
// order they can be deleted: pipelines, recipes, components (build versions),
// infrastructure and distribution configurations.
func (w *world) ownImageBuilder(ctx context.Context) ([]ibResource, error) {
	c := w.ib()
	var out []ibResource
	pls, err := w.pipelines(ctx)
	if err != nil {
		return nil, err
	}
	for _, pl := range pls {
		out = append(out, ibResource{"image-pipeline", aws.ToString(pl.Arn)})
	}
	rp := imagebuilder.NewListImageRecipesPaginator(c, &imagebuilder.ListImageRecipesInput{Owner: ibtypes.OwnershipSelf})
	for rp.HasMorePages() {
		page, err := rp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing image recipes: %w", err)
		}
		for _, r := range page.ImageRecipeSummaryList {
			if w.owned(aws.ToString(r.Name)) {
				out = append(out, ibResource{"image-recipe", aws.ToString(r.Arn)})
			}
		}
	}
	cp := imagebuilder.NewListComponentsPaginator(c, &imagebuilder.ListComponentsInput{Owner: ibtypes.OwnershipSelf})
	for cp.HasMorePages() {
		page, err := cp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing components: %w", err)
		}
		for _, v := range page.ComponentVersionList {
			if !w.owned(aws.ToString(v.Name)) {
				continue
			}
			bp := imagebuilder.NewListComponentBuildVersionsPaginator(c, &imagebuilder.ListComponentBuildVersionsInput{ComponentVersionArn: v.Arn})
			for bp.HasMorePages() {
				bpage, err := bp.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("listing the builds of %s: %w", aws.ToString(v.Arn), err)
				}
				for _, b := range bpage.ComponentSummaryList {
					out = append(out, ibResource{"component", aws.ToString(b.Arn)})
				}
			}
		}
	}
	ip := imagebuilder.NewListInfrastructureConfigurationsPaginator(c, &imagebuilder.ListInfrastructureConfigurationsInput{})
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing infrastructure configurations: %w", err)
		}
		for _, s := range page.InfrastructureConfigurationSummaryList {
			if w.owned(aws.ToString(s.Name)) {
				out = append(out, ibResource{"infrastructure-configuration", aws.ToString(s.Arn)})
			}
		}
	}
	dp := imagebuilder.NewListDistributionConfigurationsPaginator(c, &imagebuilder.ListDistributionConfigurationsInput{})
	for dp.HasMorePages() {
		page, err := dp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing distribution configurations: %w", err)
		}
		for _, s := range page.DistributionConfigurationSummaryList {
			if w.owned(aws.ToString(s.Name)) {
				out = append(out, ibResource{"distribution-configuration", aws.ToString(s.Arn)})
			}
		}
	}
	return out, nil
}

// sweepImageBuilder deletes the run's Image Builder resources: each pipeline's images
// (not their AMIs: sweepAMIs does), the pipelines, then what they used. A list can lag
// behind a create on AWS, so it lists again until nothing is found (three passes at most).
func (w *world) sweepImageBuilder(ctx context.Context, t *testing.T) []error {
	c := w.ib()
	var errs []error
	for pass := 0; pass < 3; pass++ {
		rs, err := w.ownImageBuilder(ctx)
		if err != nil {
			return append(errs, err)
		}
		if len(rs) == 0 {
			return errs
		}
		errs = nil
		for _, r := range rs {
			arn := r.arn
			var del func(ctx context.Context) error
			switch r.kind {
			case "image-pipeline":
				errs = append(errs, w.deletePipelineImages(ctx, t, arn)...)
				del = func(ctx context.Context) error {
					_, err := c.DeleteImagePipeline(ctx, &imagebuilder.DeleteImagePipelineInput{ImagePipelineArn: aws.String(arn)})
					return err
				}
			case "image-recipe":
				del = func(ctx context.Context) error {
					_, err := c.DeleteImageRecipe(ctx, &imagebuilder.DeleteImageRecipeInput{ImageRecipeArn: aws.String(arn)})
					return err
				}
			case "component":
				del = func(ctx context.Context) error {
					_, err := c.DeleteComponent(ctx, &imagebuilder.DeleteComponentInput{ComponentBuildVersionArn: aws.String(arn)})
					return err
				}
			case "infrastructure-configuration":
				del = func(ctx context.Context) error {
					_, err := c.DeleteInfrastructureConfiguration(ctx, &imagebuilder.DeleteInfrastructureConfigurationInput{InfrastructureConfigurationArn: aws.String(arn)})
					return err
				}
			case "distribution-configuration":
				del = func(ctx context.Context) error {
					_, err := c.DeleteDistributionConfiguration(ctx, &imagebuilder.DeleteDistributionConfigurationInput{DistributionConfigurationArn: aws.String(arn)})
					return err
				}
			}
			if err := w.retry(ctx, "deleting "+r.kind+" "+arn, del); err != nil {
				errs = append(errs, err)
				continue
			}
			t.Logf("clean-up: deleted %s %s", r.kind, arn)
		}
	}
	return errs
}

// deletePipelineImages deletes the Image Builder images of a pipeline (the resources
// that record a build; their AMIs are swept separately).
func (w *world) deletePipelineImages(ctx context.Context, t *testing.T, pipelineARN string) []error {
	imgs, err := w.pipelineImages(ctx, pipelineARN)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, img := range imgs {
		arn := aws.ToString(img.Arn)
		err := w.retry(ctx, "deleting image "+arn, func(ctx context.Context) error {
			_, err := w.ib().DeleteImage(ctx, &imagebuilder.DeleteImageInput{ImageBuildVersionArn: aws.String(arn)})
			return err
		})
		switch {
		case err != nil && w.unsupported(err):
			t.Logf("clean-up: the sandbox does not serve imagebuilder DeleteImage: image %s stays (AWS deletes it)", arn)
		case err != nil:
			errs = append(errs, err)
		default:
			t.Logf("clean-up: deleted image %s", arn)
		}
	}
	return errs
}

// roleNames are the roles the run may have created: the instance profile's role (named
// after the profile), the roles the profile holds, and the pipeline's execution role.
// Only names that start with the prefix are ever deleted.
func (w *world) roleNames(ctx context.Context) []string {
	set := map[string]bool{w.instanceProfile(): true, w.executionRole(): true}
	if out, err := w.iam().GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(w.instanceProfile())}); err == nil {
		for _, r := range out.InstanceProfile.Roles {
			set[aws.ToString(r.RoleName)] = true
		}
	}
	var names []string
	for n := range set {
		if w.owned(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// sweepIAM deletes the run's instance profile and roles (their policies detached or
// deleted first).
func (w *world) sweepIAM(ctx context.Context, t *testing.T) []error {
	c := w.iam()
	var errs []error
	roles := w.roleNames(ctx)
	profile := w.instanceProfile()
	if out, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(profile)}); err == nil {
		for _, r := range out.InstanceProfile.Roles {
			name := aws.ToString(r.RoleName)
			err := w.retry(ctx, "removing role "+name+" from instance profile "+profile, func(ctx context.Context) error {
				_, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String(profile), RoleName: aws.String(name)})
				return err
			})
			if err != nil {
				errs = append(errs, err)
			}
		}
		err := w.retry(ctx, "deleting instance profile "+profile, func(ctx context.Context) error {
			_, err := c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(profile)})
			return err
		})
		if err != nil {
			errs = append(errs, err)
		} else {
			t.Logf("clean-up: deleted instance profile %s", profile)
		}
	} else if !gone(err) {
		errs = append(errs, fmt.Errorf("reading instance profile %s: %w", profile, err))
	}
	for _, role := range roles {
		if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)}); err != nil {
			if !gone(err) {
				errs = append(errs, fmt.Errorf("reading role %s: %w", role, err))
			}
			continue
		}
		attached, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
		if err != nil {
			errs = append(errs, fmt.Errorf("listing the policies of role %s: %w", role, err))
			continue
		}
		for _, p := range attached.AttachedPolicies {
			arn := aws.ToString(p.PolicyArn)
			if err := w.retry(ctx, "detaching "+arn+" from role "+role, func(ctx context.Context) error {
				_, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(arn)})
				return err
			}); err != nil {
				errs = append(errs, err)
			}
		}
		inline, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
		if err != nil {
			errs = append(errs, fmt.Errorf("listing the inline policies of role %s: %w", role, err))
			continue
		}
		for _, name := range inline.PolicyNames {
			if err := w.retry(ctx, "deleting inline policy "+name+" of role "+role, func(ctx context.Context) error {
				_, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
				return err
			}); err != nil {
				errs = append(errs, err)
			}
		}
		if err := w.retry(ctx, "deleting role "+role, func(ctx context.Context) error {
			_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(role)})
			return err
		}); err != nil {
			errs = append(errs, err)
			continue
		}
		t.Logf("clean-up: deleted role %s", role)
	}
	return errs
}

// ownLogGroups lists the CloudWatch Logs groups of the run's builds: the build instance
// writes to /aws/imagebuilder/<recipe name> in the build region (its instance profile's
// EC2InstanceProfileForImageBuilder lets it create the group). awsemu serves no
// CloudWatch Logs (a sandbox build writes no logs), so there is nothing in the sandbox.
func (w *world) ownLogGroups(ctx context.Context) ([]string, error) {
	if w.kind == sandboxWorld {
		return nil, nil
	}
	var names []string
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(cloudwatchlogs.NewFromConfig(w.cfg),
		&cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/imagebuilder/" + w.prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the run's log groups: %w", err)
		}
		for _, g := range page.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
		}
	}
	return names, nil
}

// sweepLogGroups deletes the run's build logs.
func (w *world) sweepLogGroups(ctx context.Context, t *testing.T) []error {
	names, err := w.ownLogGroups(ctx)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, name := range names {
		err := w.retry(ctx, "deleting log group "+name, func(ctx context.Context) error {
			_, err := cloudwatchlogs.NewFromConfig(w.cfg).DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(name)})
			return err
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t.Logf("clean-up: deleted log group %s", name)
	}
	return errs
}

// leftovers lists what of the run still exists (or could not be listed).
func (w *world) leftovers(ctx context.Context, t *testing.T) []string {
	var left []string
	for _, region := range w.regions {
		imgs, err := w.ownImages(ctx, region)
		if err != nil {
			left = append(left, err.Error())
		}
		for _, img := range imgs {
			left = append(left, fmt.Sprintf("AMI %s in %s", aws.ToString(img.ImageId), region))
		}
		snaps, err := w.ec2(region).DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
			Filters: []ec2types.Filter{{Name: aws.String("tag:" + suiteTag), Values: []string{w.prefix}}}})
		if err != nil {
			left = append(left, fmt.Sprintf("listing snapshots in %s: %v", region, err))
		} else {
			for _, s := range snaps.Snapshots {
				left = append(left, fmt.Sprintf("snapshot %s in %s", aws.ToString(s.SnapshotId), region))
			}
		}
		params, err := w.ownParameters(ctx, region)
		if err != nil {
			left = append(left, err.Error())
		}
		for _, p := range params {
			left = append(left, fmt.Sprintf("parameter %s in %s", p, region))
		}
	}
	rs, err := w.ownImageBuilder(ctx)
	if err != nil {
		left = append(left, err.Error())
	}
	for _, r := range rs {
		left = append(left, r.kind+" "+r.arn)
	}
	groups, err := w.ownLogGroups(ctx)
	if err != nil {
		left = append(left, err.Error())
	}
	for _, g := range groups {
		left = append(left, "log group "+g)
	}
	if _, err := w.iam().GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(w.instanceProfile())}); err == nil {
		left = append(left, "instance profile "+w.instanceProfile())
	}
	for _, role := range w.roleNames(ctx) {
		if _, err := w.iam().GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)}); err == nil {
			left = append(left, "role "+role)
		}
	}
	return left
}
