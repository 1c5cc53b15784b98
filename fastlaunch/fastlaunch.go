package fastlaunch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/check"
)

// Fast Launch states as EC2 reports them, plus Gone for an image without Fast Launch.
const (
	StateEnabling        = "enabling"
	StateEnablingFailed  = "enabling-failed"
	StateEnabled         = "enabled"
	StateEnabledFailed   = "enabled-failed"
	StateDisabling       = "disabling"
	StateDisablingFailed = "disabling-failed"
	// StateGone is winami's name for an image that has no Fast Launch settings (never
	// enabled, or disabled and cleaned up).
	StateGone = "disabled"
)

// Defaults EC2 and winami use when a setting is zero.
const (
	// MinParallelLaunches is the smallest MaxParallelLaunches EC2 accepts.
	MinParallelLaunches = 6
	// DefaultTargetSnapshots is the number of pre-provisioned snapshots kept when not set.
	DefaultTargetSnapshots = 10
)

// Failed reports whether state is one of the *-failed states.
func Failed(state string) bool { return strings.HasSuffix(state, "-failed") }

// Client enables, disables and describes Fast Launch in one region.
type Client struct {
	// Region is where the client works.
	Region string
	// EC2, STS and IAM are the region's clients (IAM and STS only serve the preflight).
	EC2 awsapi.EC2
	STS awsapi.STS
	IAM awsapi.IAM
	// SSM resolves `ssm:` image references.
	SSM awsapi.SSM
	// ServiceQuotas reads the region's On-Demand vCPU quota for the preflight (the check
	// is skipped when nil).
	ServiceQuotas awsapi.ServiceQuotas
}

// Clients gives the per-region clients Fast Launch calls (*awsapi.Clients satisfies it);
// Region is the default region.
type Clients interface {
	Region() string
	EC2(region string) awsapi.EC2
	STS(region string) awsapi.STS
	IAM(region string) awsapi.IAM
	SSM(region string) awsapi.SSM
	ServiceQuotas(region string) awsapi.ServiceQuotas
}

// New returns a Client for region ("" for c's default region) built from c's per-region
// clients.
func New(c Clients, region string) *Client {
	if region == "" {
		region = c.Region()
	}
	return &Client{Region: region, EC2: c.EC2(region), STS: c.STS(region), IAM: c.IAM(region), SSM: c.SSM(region),
		ServiceQuotas: c.ServiceQuotas(region)}
}

// Settings are the Fast Launch settings of EnableFastLaunch.
type Settings struct {
	// TargetSnapshots is the number of pre-provisioned snapshots to keep
	// (TargetResourceCount; DefaultTargetSnapshots when zero).
	TargetSnapshots int32
	// MaxParallelLaunches bounds the instances launched at once to make snapshots
	// (MinParallelLaunches when zero).
	MaxParallelLaunches int32
	// LaunchTemplate is a launch template ID (lt-…) or name, optionally with ":version";
	// empty means EC2 launches into the default VPC.
	LaunchTemplate string
}

func (s Settings) withDefaults() Settings {
	if s.TargetSnapshots == 0 {
		s.TargetSnapshots = DefaultTargetSnapshots
	}
	if s.MaxParallelLaunches == 0 {
		s.MaxParallelLaunches = MinParallelLaunches
	}
	return s
}

// TemplateRef is a parsed launch template reference.
type TemplateRef struct {
	ID      string
	Name    string
	Version string // "" means the default version
}

// ParseTemplate parses "lt-…", "name" or either with ":version" (a number, $Default or $Latest).
func ParseTemplate(s string) (TemplateRef, error) {
	var r TemplateRef
	base, version, hasVersion := strings.Cut(s, ":")
	if base == "" {
		return r, fmt.Errorf("launch template %q: give an ID (lt-…) or a name, optionally with :version", s)
	}
	if hasVersion {
		if version == "" {
			return r, fmt.Errorf("launch template %q: the version after ':' is empty (use a number, $Default or $Latest)", s)
		}
		if version != "$Default" && version != "$Latest" {
			for _, ch := range version {
				if ch < '0' || ch > '9' {
					return r, fmt.Errorf("launch template %q: version %q is not a number, $Default or $Latest", s, version)
				}
			}
		}
		r.Version = version
	}
	if strings.HasPrefix(base, "lt-") {
		r.ID = base
	} else {
		r.Name = base
	}
	return r, nil
}

// String renders the reference as ParseTemplate reads it.
func (r TemplateRef) String() string {
	s := r.ID
	if s == "" {
		s = r.Name
	}
	if r.Version != "" {
		s += ":" + r.Version
	}
	return s
}

// Status is the Fast Launch state of one image in one region.
type Status struct {
	Region              string     `json:"region"`
	ImageID             string     `json:"imageId"`
	State               string     `json:"state"`
	TargetSnapshots     int32      `json:"targetSnapshots,omitempty"`
	MaxParallelLaunches int32      `json:"maxParallelLaunches,omitempty"`
	LaunchTemplate      string     `json:"launchTemplate,omitempty"`
	StateReason         string     `json:"stateReason,omitempty"`
	Since               *time.Time `json:"since,omitempty"`
	OwnerID             string     `json:"ownerId,omitempty"`
	// Error is set when the state could not be read (status over many regions), Err
	// is the error it says (awsapi.Message).
	Error string `json:"error,omitempty"`
	Err   error  `json:"-"`
}

func statusFrom(region string, it types.DescribeFastLaunchImagesSuccessItem) Status {
	st := Status{
		Region:              region,
		ImageID:             aws.ToString(it.ImageId),
		State:               string(it.State),
		MaxParallelLaunches: aws.ToInt32(it.MaxParallelLaunches),
		StateReason:         aws.ToString(it.StateTransitionReason),
		Since:               it.StateTransitionTime,
		OwnerID:             aws.ToString(it.OwnerId),
	}
	if it.SnapshotConfiguration != nil {
		st.TargetSnapshots = aws.ToInt32(it.SnapshotConfiguration.TargetResourceCount)
	}
	if lt := it.LaunchTemplate; lt != nil {
		st.LaunchTemplate = TemplateRef{ID: aws.ToString(lt.LaunchTemplateId), Name: aws.ToString(lt.LaunchTemplateName), Version: aws.ToString(lt.Version)}.String()
	}
	return st
}

// Describe returns the Fast Launch state of imageIDs (every Fast Launch image of the
// account in the region when none are given), following every page. Images without Fast
// Launch are returned with StateGone.
func (c *Client) Describe(ctx context.Context, imageIDs ...string) ([]Status, error) {
	in := &ec2.DescribeFastLaunchImagesInput{ImageIds: imageIDs}
	var out []Status
	seen := map[string]bool{}
	p := ec2.NewDescribeFastLaunchImagesPaginator(c.EC2, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if len(imageIDs) > 0 && isImageNotFound(err) {
				// A deregistered image has no Fast Launch left.
				break
			}
			return nil, fmt.Errorf("describing Fast Launch images in %s: %w", c.Region, err)
		}
		for _, it := range page.FastLaunchImages {
			st := statusFrom(c.Region, it)
			seen[st.ImageID] = true
			out = append(out, st)
		}
	}
	for _, id := range imageIDs {
		if !seen[id] {
			out = append(out, Status{Region: c.Region, ImageID: id, State: StateGone})
		}
	}
	return out, nil
}

// Get returns the Fast Launch state of one image (StateGone when it has none).
func (c *Client) Get(ctx context.Context, imageID string) (Status, error) {
	sts, err := c.Describe(ctx, imageID)
	if err != nil {
		return Status{}, err
	}
	for _, st := range sts {
		if st.ImageID == imageID {
			return st, nil
		}
	}
	return Status{Region: c.Region, ImageID: imageID, State: StateGone}, nil
}

func isImageNotFound(err error) bool {
	switch awsapi.ErrorCode(err) {
	case "InvalidAMIID.NotFound", "InvalidAMIID.Unavailable":
		return true
	}
	return false
}

// Result is what Enable did.
type Result struct {
	Region  string        `json:"region"`
	ImageID string        `json:"imageId"`
	Checks  []check.Check `json:"checks"`
	// DryRun is true when nothing was changed: the preflight and EC2's DryRun passed.
	DryRun bool `json:"dryRun,omitempty"`
	// Status is the state right after the call (absent on a dry run).
	Status *Status `json:"status,omitempty"`
}

// EnableOptions change how Enable runs.
type EnableOptions struct {
	// DryRun runs the preflight and EC2's own DryRun and changes nothing.
	DryRun bool
	// SkipPreflight calls EnableFastLaunch directly (for callers that just checked).
	SkipPreflight bool
}

// Enable runs the preflight and turns Fast Launch on for imageID. With opts.DryRun it
// stops after EC2's DryRun. A failed preflight returns a *PreflightError.
func (c *Client) Enable(ctx context.Context, imageID string, s Settings, opts EnableOptions) (*Result, error) {
	s = s.withDefaults()
	res := &Result{Region: c.Region, ImageID: imageID}
	var tmpl *TemplateRef
	if s.LaunchTemplate != "" {
		r, err := ParseTemplate(s.LaunchTemplate)
		if err != nil {
			return nil, err
		}
		tmpl = &r
	}
	if !opts.SkipPreflight {
		checks, err := c.Preflight(ctx, imageID, s)
		res.Checks = checks
		if err != nil {
			return res, err
		}
		if check.Failed(checks) {
			return res, &check.PreflightError{What: fmt.Sprintf("Fast Launch preflight for %s in %s", imageID, c.Region),
				Region: c.Region, ImageID: imageID, Checks: checks}
		}
	}
	in := &ec2.EnableFastLaunchInput{
		ImageId:               aws.String(imageID),
		ResourceType:          aws.String("snapshot"),
		MaxParallelLaunches:   aws.Int32(s.MaxParallelLaunches),
		SnapshotConfiguration: &types.FastLaunchSnapshotConfigurationRequest{TargetResourceCount: aws.Int32(s.TargetSnapshots)},
	}
	if tmpl != nil {
		v := tmpl.Version
		if v == "" {
			v = "$Default"
		}
		in.LaunchTemplate = &types.FastLaunchLaunchTemplateSpecificationRequest{Version: aws.String(v)}
		if tmpl.ID != "" {
			in.LaunchTemplate.LaunchTemplateId = aws.String(tmpl.ID)
		} else {
			in.LaunchTemplate.LaunchTemplateName = aws.String(tmpl.Name)
		}
	}
	if opts.DryRun {
		in.DryRun = aws.Bool(true)
		_, err := c.EC2.EnableFastLaunch(ctx, in)
		if awsapi.ErrorCode(err) == "DryRunOperation" {
			res.DryRun = true
			res.Checks = append(res.Checks, check.Check{Name: "ec2-dry-run", Status: check.Pass, Message: "EC2 DryRun: EnableFastLaunch would succeed"})
			return res, nil
		}
		if err == nil {
			return res, fmt.Errorf("enabling Fast Launch for %s in %s (dry run): EC2 answered without DryRunOperation", imageID, c.Region)
		}
		return res, fmt.Errorf("enabling Fast Launch for %s in %s (dry run): %w", imageID, c.Region, err)
	}
	if _, err := c.EC2.EnableFastLaunch(ctx, in); err != nil {
		return res, fmt.Errorf("enabling Fast Launch for %s in %s: %w", imageID, c.Region, explain(err))
	}
	st, err := c.Get(ctx, imageID)
	if err != nil {
		return res, err
	}
	res.Status = &st
	return res, nil
}

// explain adds the fix to EC2 errors whose message does not say it.
func explain(err error) error {
	switch awsapi.ErrorCode(err) {
	case "UnauthorizedOperation", "AccessDenied", "AccessDeniedException":
		return fmt.Errorf("%w (the caller needs ec2:EnableFastLaunch and, on first use, iam:CreateServiceLinkedRole for ec2fastlaunch.amazonaws.com: see `winami iam-policy --for operator`)", err)
	}
	return err
}

// Disable turns Fast Launch off for imageID. An image without Fast Launch is left alone
// and reported with StateGone, so that Disable can be repeated safely. force asks EC2 to
// ignore errors while it cleans up the pre-provisioned snapshots.
func (c *Client) Disable(ctx context.Context, imageID string, force, dryRun bool) (Status, error) {
	st, err := c.Get(ctx, imageID)
	if err != nil {
		return Status{}, err
	}
	if st.State == StateGone || (st.State == StateDisabling && !dryRun) {
		return st, nil
	}
	in := &ec2.DisableFastLaunchInput{ImageId: aws.String(imageID)}
	if force {
		in.Force = aws.Bool(true)
	}
	if dryRun {
		in.DryRun = aws.Bool(true)
		_, err := c.EC2.DisableFastLaunch(ctx, in)
		if awsapi.ErrorCode(err) == "DryRunOperation" {
			return st, nil
		}
		if err == nil {
			return st, fmt.Errorf("disabling Fast Launch for %s in %s (dry run): EC2 answered without DryRunOperation", imageID, c.Region)
		}
		return st, fmt.Errorf("disabling Fast Launch for %s in %s (dry run): %w", imageID, c.Region, err)
	}
	if _, err := c.EC2.DisableFastLaunch(ctx, in); err != nil {
		return st, fmt.Errorf("disabling Fast Launch for %s in %s: %w", imageID, c.Region, explain(err))
	}
	return c.Get(ctx, imageID)
}

// ResolveImage turns an image reference into an AMI ID in the client's region: "ami-…" is
// returned as is; "ssm:/name" reads the SSM parameter (winami's published parameter, or
// any parameter holding an AMI ID) in the region.
func (c *Client) ResolveImage(ctx context.Context, ref string) (string, error) {
	return ResolveImage(ctx, c.SSM, c.Region, ref)
}

// ErrBadImageRef is wrapped by ResolveImage when the reference is neither ami-… nor ssm:/….
var ErrBadImageRef = errors.New("an image is ami-… or ssm:/parameter/name")
