package imagebuilder

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/fastlaunch"
)

// AMI is one output AMI of a build.
type AMI struct {
	Region  string `json:"region"`
	ImageID string `json:"imageId"`
	// Account owns the AMI: the build account, or a target account Image Builder copied it
	// into (spec.distribution.targetAccountIds; outputResources.amis[].accountId).
	Account string `json:"account,omitempty"`
	// FastLaunch is the AMI's Fast Launch state when the build ended (enabling, enabled,
	// …, or "disabled" when it has none); "" for a copy in a target account (Fast Launch is
	// per account: not read there).
	FastLaunch string `json:"fastLaunch"`
	// FastLaunchReason is EC2's StateTransitionReason, when it says something.
	FastLaunchReason string `json:"fastLaunchReason,omitempty"`
}

// Publication says, for one region, which AMI the published parameter names after the
// build and who wrote that version (from the parameter's history).
type Publication struct {
	Region string `json:"region"`
	// Account owns the parameter: the build account, or a target account (written there
	// as the role spec.CrossAccountRoleName, session PublishSession).
	Account string `json:"account,omitempty"`
	// By says who wrote the version the parameter holds, from its LastModifiedUser:
	// "imagebuilder" (the distribution's ssmParameterConfigurations, as the role Image
	// Builder acts as), "winami" (this build wrote it) or "other" (anyone else).
	By string `json:"by"`
	// ImageID is the AMI the parameter names: this build's, or a newer one (Kept).
	ImageID string `json:"imageId,omitempty"`
	// Version is the parameter version that names ImageID.
	Version int64 `json:"version,omitempty"`
	// ModifiedBy is that version's LastModifiedUser (an IAM or STS ARN).
	ModifiedBy string `json:"modifiedBy,omitempty"`
	// Kept is set when the parameter named a newer AMI than this build's, left in place:
	// the parameter never goes back.
	Kept bool `json:"kept,omitempty"`
	// Reason says which AMI was newer and why, when the parameter named another AMI.
	Reason string `json:"reason,omitempty"`
}

// BuildResult is what a build produced. Its JSON form is a contract:
// {"image","amis":[{"region","imageId","fastLaunch"}],"parameter"} (fields only added).
type BuildResult struct {
	// Image is the Image Builder image (build version) ARN.
	Image string `json:"image"`
	AMIs  []AMI  `json:"amis"`
	// Parameter is the published SSM parameter ("" when the spec publishes none).
	Parameter string `json:"parameter"`
	// Published says, per region, who wrote the parameter.
	Published []Publication `json:"published,omitempty"`
	// State is the image's final state (AVAILABLE for a result without error).
	State string `json:"state"`
	// Skipped is set by --if-changed when the newest AMI was built from the same inputs;
	// Image and AMIs then describe that AMI.
	Skipped bool `json:"skipped,omitempty"`
	// InputsHash is the hash of the build's inputs, also tagged on each AMI.
	InputsHash string `json:"inputsHash,omitempty"`
	// Followed is set when the build followed an image of the pipeline that was already
	// running from the same inputs instead of starting one.
	Followed bool `json:"followed,omitempty"`
	// Scan is the image's vulnerability scan (nil when the image is not scanned).
	Scan *ScanResult `json:"scan,omitempty"`
}

// Progress is one observation of a running build.
type Progress struct {
	Image   string
	State   string
	Reason  string
	Elapsed time.Duration
	// Regions lists the AMIs distributed so far.
	Regions []AMI
}

// BuildOptions tune Build.
type BuildOptions struct {
	Options
	// PollInterval is the time between GetImage calls (30 s when zero).
	PollInterval time.Duration
	// Progress receives every change of state or distributed regions.
	Progress func(Progress)
	// IfChanged starts nothing when the newest AMI was built from the same inputs.
	IfChanged bool
	// WaitForRunning waits for an image of the pipeline from other inputs that has not
	// ended, then builds, instead of refusing (*RunningError).
	WaitForRunning bool
	// FailOn ("", FailOnCritical or FailOnHigh) stops the build before anything is
	// published when the image's scan findings reach that severity, or the scan did not
	// complete: a *ScanGateError, the AMIs kept.
	FailOn string
	// TargetClients returns the clients that act in a target account (Desired.PublishAccounts),
	// where the parameter is published. When nil, Clients that implement RoleAssumer
	// (*awsapi.Clients) assume TargetRoleARN there with session PublishSession.
	TargetClients func(ctx context.Context, account string) (Clients, error)
}

// FailedError is a build that ended FAILED or CANCELLED.
type FailedError struct {
	Image  string
	State  string
	Reason string
	// Logs says where the build's logs are.
	Logs string
	// S3Logs is the S3 location (s3://bucket/key/) of this build's logs when the image's
	// infrastructure configuration has logging.s3Logs ("" otherwise): LogsLocation.
	S3Logs string
}

// Error says how the build ended, why, and where the logs are.
func (e *FailedError) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = "no reason given"
	}
	return fmt.Sprintf("image %s ended %s: %s (logs: %s)", e.Image, e.State, reason, e.Logs)
}

// WaitError is a wait for a build that stopped before the build ended (interrupted or
// timed out); the build itself keeps running unless cancelled.
type WaitError struct {
	Image string
	State string
	Err   error
	// Other is set when the image waited for is another build's (BuildOptions.WaitForRunning):
	// nothing of this build was started.
	Other bool
	// Scanning is set when the image was AVAILABLE and the wait was for its vulnerability
	// scan: nothing was published (a re-run with IfChanged completes it).
	Scanning bool
}

// Error says which wait stopped and why.
func (e *WaitError) Error() string {
	return fmt.Sprintf("following image %s (last state %s): %v", e.Image, e.State, e.Err)
}

// Unwrap returns the context error that stopped the wait.
func (e *WaitError) Unwrap() error { return e.Err }

// Inputs are what a build is made of; their hash is tagged on each AMI so that
// --if-changed can tell when nothing changed.
type Inputs struct {
	ParentImage string            `json:"parentImage"`
	Components  map[string]string `json:"components"`
	Images      []string          `json:"images"`
	SpecHash    string            `json:"specHash"`
}

// BuildInputs collects the inputs of a build from an applied (or planned) state.
func BuildInputs(d *Desired, p *Plan) Inputs {
	in := Inputs{ParentImage: p.Parent.ImageID, Components: map[string]string{}, SpecHash: d.SpecHash}
	if in.ParentImage == "" {
		in.ParentImage = p.Parent.Ref
	}
	for name, v := range p.ComponentVersions {
		in.Components[name] = v
	}
	for _, cc := range d.Recipe.Components {
		if kind, name, version, ok := arnParts(aws.ToString(cc.ComponentArn)); ok && kind == "component" {
			if _, own := in.Components[name]; !own && !ownComponent(d, name) {
				in.Components[name] = version
			}
		}
	}
	in.Images = append([]string(nil), d.CacheImages...)
	sort.Strings(in.Images)
	return in
}

func ownComponent(d *Desired, arnN string) bool {
	for _, c := range d.Components {
		if arnName(*c.Name) == arnN {
			return true
		}
	}
	return false
}

// Hash is the inputs' hash.
func (in Inputs) Hash() string { return hashOf(in, 32) }

// Tags are the AMI tags that record the inputs.
func (in Inputs) Tags(name string) map[string]string {
	var comps []string
	for _, k := range slices.Sorted(maps.Keys(in.Components)) {
		comps = append(comps, k+"@"+in.Components[k])
	}
	tags := map[string]string{
		NameTag:        name,
		ManagedByTag:   "winami",
		InputsHashTag:  in.Hash(),
		ParentImageTag: in.ParentImage,
		ComponentsTag:  truncate(strings.Join(comps, ","), 256),
		ImagesTag:      hashOf(in.Images, 32),
		SpecHashTag:    truncate(in.SpecHash, 256),
	}
	maps.Copy(tags, CachedImagesTags(in.Images))
	return tags
}

// tagsFor are the input tags for an AMI that already carries existing (Image Builder's
// own, spec.distribution.amiTags): the cached image list takes only the room left under
// EC2's MaxTagsPerResource, so tagging never fails for want of it (the count alone is
// written then, and audit says the AMI's cache is not listed).
func (in Inputs) tagsFor(name string, existing []ec2types.Tag) map[string]string {
	tags := in.Tags(name)
	used := map[string]bool{}
	for _, t := range existing {
		used[aws.ToString(t.Key)] = true
	}
	for k := range tags {
		if !strings.HasPrefix(k, CachedImagesTag+":") {
			used[k] = true
		}
	}
	for k := range tags {
		if strings.HasPrefix(k, CachedImagesTag+":") {
			delete(tags, k)
		}
	}
	maps.Copy(tags, CachedImagesTagsWithin(in.Images, MaxTagsPerResource-len(used)))
	return tags
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Build runs the pipeline of an applied state and follows the image to its end. On
// success the AMIs are tagged with the build's inputs, the published parameter is
// checked (and written where Image Builder did not) in every region, and each AMI's
// Fast Launch state is read. A FAILED or CANCELLED image is a *FailedError; a wait cut
// short by ctx is a *WaitError (the build keeps running).
//
// One build at a time per pipeline: when the pipeline already has an image that has not
// ended, Build follows it if it was started from the same inputs (a re-run after the
// first run was killed), and otherwise returns a *RunningError, or with
// opts.WaitForRunning follows that image to its end first. Each image Build starts is
// tagged winami:inputs-hash (StartImagePipelineExecution's tags), which is how a running
// image's inputs are known. Two builds started at the same moment both see the other
// after starting: the later one (by dateCreated) cancels its own image and follows, or
// waits for, the earlier.
func Build(ctx context.Context, c Clients, d *Desired, p *Plan, opts BuildOptions) (*BuildResult, error) {
	if !p.pipelineExists {
		return nil, fmt.Errorf("starting a build: the image pipeline %s does not exist: run winami apply first", aws.ToString(d.Pipeline.Name))
	}
	inputs := BuildInputs(d, p)
	if opts.FailOn != "" && !ValidFailOn(opts.FailOn) {
		return nil, fmt.Errorf("starting a build: fail-on level %q: use %s", opts.FailOn, strings.Join(FailOnLevels, " or "))
	}
	if opts.IfChanged {
		res, err := Existing(ctx, c, d, inputs)
		if err != nil {
			return nil, err
		}
		gated := scanned(d, nil) || opts.FailOn != ""
		if res != nil {
			if !gated {
				return res, nil
			}
			// The gate and the publishing come after AVAILABLE: a build interrupted between
			// the two left the AMIs unpublished. Complete them for the image they came from.
			return finishExisting(ctx, c, d, res, inputs, opts)
		}
		if gated {
			// Interrupted even before its AMIs were tagged: the pipeline's newest image,
			// when it is AVAILABLE and was started from these inputs, is finished now.
			img, err := newestImage(ctx, c.ImageBuilder(d.Region), p.PipelineARN)
			if err != nil {
				return nil, err
			}
			if img != nil && img.State != nil && img.State.Status == types.ImageStatusAvailable && img.Tags[InputsHashTag] == inputs.Hash() {
				opts.logf("image %s was built from the same inputs and not finished: checking its scan and publishing it", aws.ToString(img.Arn))
				res, err := finish(ctx, c, d, img, inputs, opts)
				if res != nil {
					res.Skipped = true
				}
				return res, err
			}
		}
	}
	api := c.ImageBuilder(d.Region)
	image, followed, err := startOrFollow(ctx, api, d, p, inputs.Hash(), opts)
	if err != nil {
		return nil, err
	}
	img, err := Follow(ctx, api, image, opts)
	if err != nil {
		return nil, err
	}
	switch img.State.Status {
	case types.ImageStatusAvailable:
	default:
		s3, logs := LogsLocation(d, img)
		return nil, &FailedError{Image: image, State: string(img.State.Status), Reason: aws.ToString(img.State.Reason), Logs: logs, S3Logs: s3}
	}
	res, err := finish(ctx, c, d, img, inputs, opts)
	if res != nil {
		res.Followed = followed
	}
	return res, err
}

// startOrFollow returns the image the build follows: a running image from the same
// inputs (followed), else one it starts once no other image is running.
func startOrFollow(ctx context.Context, api awsapi.ImageBuilder, d *Desired, p *Plan, hash string, opts BuildOptions) (image string, followed bool, err error) {
	name := aws.ToString(d.Pipeline.Name)
	waited := map[string]bool{}
	for {
		rs, err := RunningImages(ctx, api, p.PipelineARN)
		if err != nil {
			return "", false, err
		}
		same, other := claim(rs, hash)
		if same != nil {
			opts.logf("following image %s (%s): already running from the same inputs (%s), no second build started", same.Image, same.State, hash)
			return same.Image, true, nil
		}
		if other != nil {
			if !opts.WaitForRunning {
				return "", false, &RunningError{Pipeline: name, Running: *other}
			}
			if waited[other.Image] {
				// Followed to its end already, yet listed as running: a stale list.
				return "", false, &RunningError{Pipeline: name, Running: *other}
			}
			waited[other.Image] = true
			opts.logf("waiting for image %s (%s) of pipeline %s to end before building", other.Image, other.State, name)
			img, err := Follow(ctx, api, other.Image, opts)
			if err != nil {
				var we *WaitError
				if errors.As(err, &we) {
					we.Other = true
				}
				return "", false, err
			}
			opts.logf("image %s ended %s", other.Image, img.State.Status)
			continue
		}
		out, err := api.StartImagePipelineExecution(ctx, &ib.StartImagePipelineExecutionInput{
			ImagePipelineArn: aws.String(p.PipelineARN),
			Tags:             map[string]string{InputsHashTag: hash},
		})
		if err != nil {
			return "", false, fmt.Errorf("starting image pipeline %s: %w", name, err)
		}
		image = aws.ToString(out.ImageBuildVersionArn)
		opts.logf("started image %s", image)
		// Another build may have started between the list and the start: the earliest image
		// goes on, a later one is cancelled and its build follows (or waits for) the earliest.
		rs, err = RunningImages(ctx, api, p.PipelineARN)
		if err != nil {
			return "", false, err
		}
		if len(rs) == 0 || rs[0].Image == image {
			return image, false, nil
		}
		first := rs[0]
		if err := Cancel(ctx, api, image); err != nil {
			// Too late to cancel: this build goes on; the parameter only moves forward.
			opts.logf("image %s started at the same time as %s and could not be cancelled (%s): both run", image, first.Image, awsapi.Message(err))
			return image, false, nil
		}
		opts.logf("cancelled image %s: image %s of the same pipeline started first", image, first.Image)
	}
}

// Follow polls GetImage until the image is AVAILABLE, FAILED or CANCELLED (returned
// without error: the caller tells them apart) or ctx ends (*WaitError).
func Follow(ctx context.Context, api awsapi.ImageBuilder, image string, opts BuildOptions) (*types.Image, error) {
	interval := opts.PollInterval
	if interval <= 0 {
		interval = 30 * time.Second
	}
	start := time.Now()
	last, lastRegions := "", -1
	failures := 0
	for {
		out, err := api.GetImage(ctx, &ib.GetImageInput{ImageBuildVersionArn: aws.String(image)})
		if ctx.Err() != nil {
			return nil, &WaitError{Image: image, State: last, Err: ctx.Err()}
		}
		if err != nil {
			// A throttled or failing describe must not end the wait of a build that runs
			// on: the SDK retried already; give up only after several polls in a row.
			if failures++; failures >= 5 {
				return nil, fmt.Errorf("following image %s: %w", image, err)
			}
		} else if out.Image != nil && out.Image.State != nil {
			failures = 0
			img := out.Image
			state := string(img.State.Status)
			var regions []AMI
			if img.OutputResources != nil {
				for _, a := range img.OutputResources.Amis {
					regions = append(regions, AMI{Region: aws.ToString(a.Region), ImageID: aws.ToString(a.Image), Account: aws.ToString(a.AccountId)})
				}
			}
			if state != last || len(regions) != lastRegions {
				last, lastRegions = state, len(regions)
				if opts.Progress != nil {
					opts.Progress(Progress{Image: image, State: state, Reason: aws.ToString(img.State.Reason), Elapsed: time.Since(start), Regions: regions})
				}
			}
			switch img.State.Status {
			case types.ImageStatusAvailable, types.ImageStatusFailed, types.ImageStatusCancelled:
				return img, nil
			}
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &WaitError{Image: image, State: last, Err: ctx.Err()}
		case <-t.C:
		}
	}
}

// Cancel asks Image Builder to stop a running build.
func Cancel(ctx context.Context, api awsapi.ImageBuilder, image string) error {
	_, err := api.CancelImageCreation(ctx, &ib.CancelImageCreationInput{
		ImageBuildVersionArn: aws.String(image),
		ClientToken:          aws.String(clientToken("CancelImageCreation", image)),
	})
	if err != nil {
		return fmt.Errorf("cancelling image %s: %w", image, err)
	}
	return nil
}

// LogsLocation says where a build's logs are: s3 is the S3 location of this build's logs
// when the image's infrastructure configuration (else the desired one) has logging.s3Logs
// ("" otherwise), and text names it and the CloudWatch Logs group, which Image
// Builder always writes. Image Builder's documented layout names the image, its version
// and its build version: log group /aws/imagebuilder/<ImageName>, stream
// <ImageVersion>/<ImageBuildVersion>; the S3 logs of a build are under the same three
// levels below the bucket's key prefix.
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/monitor-cwlogs.html
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_S3Logs.html
func LogsLocation(d *Desired, img *types.Image) (s3, text string) {
	name, version := imageNameVersion(d, img)
	cw := fmt.Sprintf("CloudWatch Logs group /aws/imagebuilder/%s in %s", name, d.Region)
	var logs *types.S3Logs
	if img != nil && img.InfrastructureConfiguration != nil && img.InfrastructureConfiguration.Logging != nil {
		logs = img.InfrastructureConfiguration.Logging.S3Logs
	} else if d.Infrastructure != nil && d.Infrastructure.Logging != nil {
		logs = d.Infrastructure.Logging.S3Logs
	}
	if logs == nil || aws.ToString(logs.S3BucketName) == "" {
		return "", cw
	}
	s3 = S3LogsURI(aws.ToString(logs.S3BucketName), aws.ToString(logs.S3KeyPrefix), name, version)
	return s3, fmt.Sprintf("%s (aws s3 ls --recursive %s) and %s", s3, s3, cw)
}

// S3LogsURI is the S3 location of one build's logs: the bucket, the key prefix (no
// leading or trailing slash), the image's name and its version x.y.z/n.
func S3LogsURI(bucket, prefix, name, version string) string {
	key := strings.Trim(prefix, "/")
	for _, p := range []string{name, version} {
		if p = strings.Trim(p, "/"); p != "" {
			if key != "" {
				key += "/"
			}
			key += p
		}
	}
	if key != "" {
		key += "/"
	}
	return "s3://" + bucket + "/" + key
}

// imageNameVersion are an image's name and build version (x.y.z/n), from its build version
// ARN (arn:…:image/<name>/<x.y.z>/<n>), else its fields, else the desired recipe's name.
func imageNameVersion(d *Desired, img *types.Image) (name, version string) {
	if img == nil {
		return aws.ToString(d.Recipe.Name), ""
	}
	arn := aws.ToString(img.Arn)
	if i := strings.Index(arn, ":image/"); i >= 0 {
		if parts := strings.Split(arn[i+len(":image/"):], "/"); len(parts) == 3 {
			return parts[0], parts[1] + "/" + parts[2]
		}
	}
	name, version = aws.ToString(img.Name), aws.ToString(img.Version)
	if name == "" && img.ImageRecipe != nil {
		name = aws.ToString(img.ImageRecipe.Name)
	}
	if name == "" {
		name = aws.ToString(d.Recipe.Name)
	}
	return name, version
}

// arnAccount is the account field of an ARN ("" when s is no ARN).
func arnAccount(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// Finish completes a successful build: tags each AMI with the inputs, makes sure the
// published parameter names the AMI in every region, and reads Fast Launch states
// (Build's last step, without a scan gate).
func Finish(ctx context.Context, c Clients, d *Desired, img *types.Image, inputs Inputs) (*BuildResult, error) {
	return finish(ctx, c, d, img, inputs, BuildOptions{})
}

// finish completes a successful build: tags each of the build account's AMIs with the
// inputs and reads its Fast Launch state; when the image is scanned, waits for the scan,
// counts its findings and checks them against opts.FailOn (a *ScanGateError: nothing is
// published); then makes sure the published parameter names the AMI in every region of
// the build account and of each target account.
func finish(ctx context.Context, c Clients, d *Desired, img *types.Image, inputs Inputs, opts BuildOptions) (*BuildResult, error) {
	res := &BuildResult{Image: aws.ToString(img.Arn), Parameter: d.PublishParameter, State: string(img.State.Status), InputsHash: inputs.Hash()}
	own := arnAccount(res.Image)
	if img.OutputResources != nil {
		for _, a := range img.OutputResources.Amis {
			acct := aws.ToString(a.AccountId)
			if acct == "" {
				acct = own
			}
			res.AMIs = append(res.AMIs, AMI{Region: aws.ToString(a.Region), ImageID: aws.ToString(a.Image), Account: acct})
		}
	}
	// The build account's AMIs first (by region), then each target account's.
	sort.SliceStable(res.AMIs, func(i, j int) bool {
		ai, aj := res.AMIs[i], res.AMIs[j]
		if (ai.Account == own) != (aj.Account == own) {
			return ai.Account == own
		}
		if ai.Account != aj.Account {
			return ai.Account < aj.Account
		}
		return ai.Region < aj.Region
	})
	if len(res.AMIs) == 0 || res.AMIs[0].Account != own {
		return res, fmt.Errorf("reading image %s: AVAILABLE but no AMI of account %s in its output resources", res.Image, own)
	}
	for i, a := range res.AMIs {
		if a.Account != own {
			continue
		}
		// The AMI's own tags (Image Builder's, amiTags) decide how much room the inputs have.
		desc, err := c.EC2(a.Region).DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{a.ImageID}})
		if err != nil {
			return res, fmt.Errorf("reading the tags of %s in %s: %w", a.ImageID, a.Region, err)
		}
		var existing []ec2types.Tag
		if len(desc.Images) > 0 {
			existing = desc.Images[0].Tags
		}
		tags := missingTags(inputs.tagsFor(d.Name, existing), existing)
		var ec2Tags []ec2types.Tag
		for _, k := range slices.Sorted(maps.Keys(tags)) {
			ec2Tags = append(ec2Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
		}
		if len(ec2Tags) > 0 {
			if _, err = c.EC2(a.Region).CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{a.ImageID}, Tags: ec2Tags}); err != nil {
				return res, fmt.Errorf("tagging %s in %s with the build's inputs: %w", a.ImageID, a.Region, err)
			}
		}
		if res.AMIs[i].FastLaunch, res.AMIs[i].FastLaunchReason, err = fastLaunchState(ctx, c.EC2(a.Region), a.Region, a.ImageID); err != nil {
			return res, err
		}
	}
	if err := checkScan(ctx, c, d, img, res, opts); err != nil {
		return res, err
	}
	if d.PublishParameter == "" {
		return res, nil
	}
	pubs, err := publishAll(ctx, c, d, img, res.AMIs, opts)
	res.Published = pubs
	return res, err
}

// checkScan waits for the scan of a scanned image, counts its findings into res.Scan and
// returns a *ScanGateError when they reach opts.FailOn. With opts.FailOn set, an image
// that is not scanned is blocked too: the gate cannot be checked.
func checkScan(ctx context.Context, c Clients, d *Desired, img *types.Image, res *BuildResult, opts BuildOptions) error {
	if !scanned(d, img) {
		if opts.FailOn == "" {
			return nil
		}
		res.Scan = &ScanResult{Reason: "the image was not scanned (its pipeline has no imageScanningConfiguration with imageScanningEnabled)"}
		gate(res.Scan, nil, opts.FailOn)
	} else {
		s, err := Scan(ctx, c.ImageBuilder(d.Region), res.Image, opts.FailOn, opts)
		if err != nil {
			return err
		}
		res.Scan = s
	}
	if res.Scan.Blocked {
		return &ScanGateError{Image: res.Image, Region: d.Region, Scan: res.Scan, AMIs: res.AMIs, Parameter: d.PublishParameter}
	}
	if !res.Scan.Completed() {
		opts.logf("image %s: the vulnerability scan ended %s%s: no findings counted", res.Image, dashed(res.Scan.State), reasonSuffix(res.Scan.Reason))
	}
	return nil
}

// newestImage is the pipeline's image started last (by dateCreated; nil when it has none),
// read with GetImage.
func newestImage(ctx context.Context, api awsapi.ImageBuilder, pipelineARN string) (*types.Image, error) {
	var newest *types.ImageSummary
	pg := ib.NewListImagePipelineImagesPaginator(api, &ib.ListImagePipelineImagesInput{ImagePipelineArn: aws.String(pipelineARN)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the images of pipeline %s: %w", pipelineARN, err)
		}
		for i := range page.ImageSummaryList {
			s := &page.ImageSummaryList[i]
			if newest == nil || earlier(Running{Image: aws.ToString(newest.Arn), Created: aws.ToString(newest.DateCreated)},
				Running{Image: aws.ToString(s.Arn), Created: aws.ToString(s.DateCreated)}) {
				newest = s
			}
		}
	}
	if newest == nil {
		return nil, nil
	}
	out, err := api.GetImage(ctx, &ib.GetImageInput{ImageBuildVersionArn: newest.Arn})
	if err != nil {
		return nil, fmt.Errorf("reading image %s: %w", aws.ToString(newest.Arn), err)
	}
	return out.Image, nil
}

// finishExisting completes the gate and the publishing of the newest AMIs built from the
// same inputs (--if-changed found them; res is Existing's result): the image they came
// from is read again and finished as a build would be.
func finishExisting(ctx context.Context, c Clients, d *Desired, res *BuildResult, inputs Inputs, opts BuildOptions) (*BuildResult, error) {
	if res.Image == "" {
		return res, fmt.Errorf("completing the build of %s: its AMIs carry no Ec2ImageBuilderArn tag naming the image they came from", res.AMIs[0].ImageID)
	}
	out, err := c.ImageBuilder(d.Region).GetImage(ctx, &ib.GetImageInput{ImageBuildVersionArn: aws.String(res.Image)})
	if err != nil {
		return res, fmt.Errorf("reading image %s: %w", res.Image, err)
	}
	if out.Image == nil || out.Image.State == nil || out.Image.State.Status != types.ImageStatusAvailable {
		return res, fmt.Errorf("reading image %s: not AVAILABLE", res.Image)
	}
	done, err := finish(ctx, c, d, out.Image, inputs, opts)
	if done != nil {
		done.Skipped = true
	}
	return done, err
}

// Existing returns the newest AMIs built from the same inputs (nil when the newest AMI of
// this spec was built from other inputs, or there is none): --if-changed.
func Existing(ctx context.Context, c Clients, d *Desired, inputs Inputs) (*BuildResult, error) {
	newestIn := func(region string, filters []ec2types.Filter) (*ec2types.Image, error) {
		var best *ec2types.Image
		p := ec2.NewDescribeImagesPaginator(c.EC2(region), &ec2.DescribeImagesInput{Owners: []string{"self"}, Filters: filters})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describing AMIs of %s in %s: %w", d.Name, region, err)
			}
			for i := range page.Images {
				im := &page.Images[i]
				if best == nil || aws.ToString(im.CreationDate) > aws.ToString(best.CreationDate) {
					best = im
				}
			}
		}
		return best, nil
	}
	nameFilter := ec2types.Filter{Name: aws.String("tag:" + NameTag), Values: []string{d.Name}}
	// The newest AMI is looked for where AMIs are: the build region when it is a
	// distribution region, else the first distribution region.
	regions := d.Regions()
	where := regions[0]
	if slices.Contains(regions, d.Region) {
		where = d.Region
	}
	latest, err := newestIn(where, []ec2types.Filter{nameFilter})
	if err != nil {
		return nil, err
	}
	hash := inputs.Hash()
	if latest == nil || tagValue(latest.Tags, InputsHashTag) != hash {
		return nil, nil
	}
	res := &BuildResult{Image: tagValue(latest.Tags, "Ec2ImageBuilderArn"), Parameter: d.PublishParameter, State: "AVAILABLE", Skipped: true, InputsHash: hash}
	for _, region := range regions {
		im, err := newestIn(region, []ec2types.Filter{nameFilter, {Name: aws.String("tag:" + InputsHashTag), Values: []string{hash}}})
		if err != nil {
			return nil, err
		}
		if im == nil {
			// The inputs match but a region lacks the AMI: build again.
			return nil, nil
		}
		a := AMI{Region: region, ImageID: aws.ToString(im.ImageId), Account: aws.ToString(im.OwnerId)}
		if a.FastLaunch, a.FastLaunchReason, err = fastLaunchState(ctx, c.EC2(region), region, a.ImageID); err != nil {
			return nil, err
		}
		res.AMIs = append(res.AMIs, a)
	}
	return res, nil
}

func tagValue(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// IsWaitInterrupted reports whether err is a wait cut short by Ctrl-C (not a timeout).
func IsWaitInterrupted(err error) bool {
	var we *WaitError
	return errors.As(err, &we) && errors.Is(err, context.Canceled)
}

// FastLaunchDisabled is the state shown for an AMI without Fast Launch.
const FastLaunchDisabled = fastlaunch.StateGone

// fastLaunchState reads an AMI's Fast Launch state and reason (package fastlaunch).
func fastLaunchState(ctx context.Context, api awsapi.EC2, region, imageID string) (state, reason string, err error) {
	st, err := (&fastlaunch.Client{Region: region, EC2: api}).Get(ctx, imageID)
	if err != nil {
		return "", "", err
	}
	return st.State, st.StateReason, nil
}
