package imagebuilder

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winami/winami/awsapi"
)

// Fail-on levels (BuildOptions.FailOn, `winami build --fail-on`).
const (
	// FailOnCritical stops publishing when the image has a CRITICAL finding.
	FailOnCritical = "critical"
	// FailOnHigh stops publishing when the image has a CRITICAL or HIGH finding.
	FailOnHigh = "high"
)

// FailOnLevels are the accepted BuildOptions.FailOn values.
var FailOnLevels = []string{FailOnCritical, FailOnHigh}

// Severities of Amazon Inspector findings, as ImageScanFinding.severity carries them
// (Inspector's Finding severity: INFORMATIONAL | LOW | MEDIUM | HIGH | CRITICAL | UNTRIAGED).
// https://docs.aws.amazon.com/inspector/v2/APIReference/API_Finding.html
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ImageScanFinding.html
const (
	SeverityCritical      = "CRITICAL"
	SeverityHigh          = "HIGH"
	SeverityMedium        = "MEDIUM"
	SeverityLow           = "LOW"
	SeverityInformational = "INFORMATIONAL"
	SeverityUntriaged     = "UNTRIAGED"
)

// FindingCounts are an image's scan findings counted by severity. Total counts them all,
// a severity none of the others names included.
type FindingCounts struct {
	Critical      int `json:"critical"`
	High          int `json:"high"`
	Medium        int `json:"medium"`
	Low           int `json:"low"`
	Informational int `json:"informational"`
	Untriaged     int `json:"untriaged"`
	Total         int `json:"total"`
}

// Finding is one finding that stops publishing (ScanResult.Blocking).
type Finding struct {
	Severity string `json:"severity"`
	// VulnerabilityID is the package vulnerability's id (a CVE), when the finding has one.
	VulnerabilityID string `json:"vulnerabilityId,omitempty"`
	Title           string `json:"title,omitempty"`
}

// ScanResult is what the image's vulnerability scan (Image Builder's image scanning with
// Amazon Inspector) found.
type ScanResult struct {
	// State is the image's scanState.status when the wait ended: COMPLETED, or ABANDONED,
	// FAILED, TIMED_OUT (no findings then); "" when Image Builder reported none.
	State string `json:"state"`
	// Reason is the scan state's reason, when Image Builder gives one.
	Reason string `json:"reason,omitempty"`
	// Findings are the counts (only when State is COMPLETED).
	Findings *FindingCounts `json:"findings,omitempty"`
	// FailOn is the --fail-on level the findings were checked against ("" for none).
	FailOn string `json:"failOn,omitempty"`
	// Blocked is set when the findings reach FailOn, or the scan did not complete while
	// FailOn was set: nothing was published.
	Blocked bool `json:"blocked,omitempty"`
	// Blocking are the findings at or above FailOn.
	Blocking []Finding `json:"blocking,omitempty"`
}

// Completed reports whether the scan completed (its findings were counted).
func (s *ScanResult) Completed() bool {
	return s != nil && s.State == string(types.ImageScanStatusCompleted)
}

// ScanGateError is a build whose image scan reached BuildOptions.FailOn (or did not
// complete while FailOn was set): the AMIs stay, nothing was published.
type ScanGateError struct {
	// Image is the image build version ARN.
	Image string
	// Region is where the image (and its findings) are: the build region.
	Region string
	Scan   *ScanResult
	// AMIs are the image's AMIs, all kept.
	AMIs []AMI
	// Parameter is the parameter that was not published ("" when the spec publishes none).
	Parameter string
}

// Error says which findings stopped the build, where to see them and that the AMIs stay.
func (e *ScanGateError) Error() string {
	var why string
	if e.Scan.Completed() {
		why = fmt.Sprintf("%s reach --fail-on %s", describeBlocking(e.Scan.Blocking, 10), e.Scan.FailOn)
	} else {
		why = fmt.Sprintf("its vulnerability scan ended %s%s, so --fail-on %s cannot be checked", dashed(e.Scan.State), reasonSuffix(e.Scan.Reason), e.Scan.FailOn)
	}
	var amis []string
	for _, a := range e.AMIs {
		amis = append(amis, a.ImageID+" in "+a.Region+accountSuffix(a.Account))
	}
	what := "nothing was published"
	if e.Parameter != "" {
		what = e.Parameter + " was not published (in any region or account)"
	}
	return fmt.Sprintf("image %s: %s: %s; the AMI(s) were kept (%s); see the findings: %s",
		e.Image, why, what, strings.Join(amis, ", "), FindingsCommand(e.Region, e.Image))
}

// FindingsCommand is the AWS CLI command that lists an image's scan findings.
// https://docs.aws.amazon.com/cli/latest/reference/imagebuilder/list-image-scan-findings.html
func FindingsCommand(region, image string) string {
	filter, _ := json.Marshal([]map[string]any{{"name": "imageBuildVersionArn", "values": []string{image}}})
	return fmt.Sprintf("aws imagebuilder list-image-scan-findings --region %s --filters '%s'", region, filter)
}

func describeBlocking(fs []Finding, max int) string {
	var parts []string
	for i, f := range fs {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(fs)-max))
			break
		}
		s := f.Severity
		if f.VulnerabilityID != "" {
			s += " " + f.VulnerabilityID
		}
		if f.Title != "" && f.Title != f.VulnerabilityID {
			s += " (" + f.Title + ")"
		}
		parts = append(parts, s)
	}
	return fmt.Sprintf("%d finding(s) [%s]", len(fs), strings.Join(parts, "; "))
}

func dashed(s string) string {
	if s == "" {
		return "without a state"
	}
	return s
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

func accountSuffix(account string) string {
	if account == "" {
		return ""
	}
	return " (account " + account + ")"
}

// ValidFailOn reports whether level is "" or one of FailOnLevels.
func ValidFailOn(level string) bool {
	return level == "" || level == FailOnCritical || level == FailOnHigh
}

// reaches reports whether a finding of severity is at or above level.
func reaches(severity, level string) bool {
	switch level {
	case FailOnCritical:
		return severity == SeverityCritical
	case FailOnHigh:
		return severity == SeverityCritical || severity == SeverityHigh
	}
	return false
}

// countFindings counts findings by severity and collects those at or above failOn.
func countFindings(findings []types.ImageScanFinding, failOn string) (FindingCounts, []Finding) {
	var c FindingCounts
	var blocking []Finding
	for _, f := range findings {
		sev := strings.ToUpper(aws.ToString(f.Severity))
		c.Total++
		switch sev {
		case SeverityCritical:
			c.Critical++
		case SeverityHigh:
			c.High++
		case SeverityMedium:
			c.Medium++
		case SeverityLow:
			c.Low++
		case SeverityInformational:
			c.Informational++
		case SeverityUntriaged:
			c.Untriaged++
		}
		if reaches(sev, failOn) {
			bf := Finding{Severity: sev, Title: aws.ToString(f.Title)}
			if f.PackageVulnerabilityDetails != nil {
				bf.VulnerabilityID = aws.ToString(f.PackageVulnerabilityDetails.VulnerabilityId)
			}
			blocking = append(blocking, bf)
		}
	}
	return c, blocking
}

// gate checks a scan's result against failOn and records the verdict in it. A scan that
// did not complete blocks when failOn is set: what it would have found is unknown.
func gate(s *ScanResult, findings []types.ImageScanFinding, failOn string) {
	s.FailOn = failOn
	if s.Completed() {
		counts, blocking := countFindings(findings, failOn)
		s.Findings = &counts
		s.Blocking = blocking
		s.Blocked = len(blocking) > 0
		return
	}
	s.Blocked = failOn != ""
}

// scanned reports whether the image is scanned: its own imageScanningConfiguration, else
// the pipeline's as desired, else Desired.PublishAfterScan.
func scanned(d *Desired, img *types.Image) bool {
	if img != nil && img.ImageScanningConfiguration != nil {
		return aws.ToBool(img.ImageScanningConfiguration.ImageScanningEnabled)
	}
	if d.Pipeline != nil && d.Pipeline.ImageScanningConfiguration != nil {
		return aws.ToBool(d.Pipeline.ImageScanningConfiguration.ImageScanningEnabled)
	}
	return d.PublishAfterScan
}

// scanEnded reports whether a scan state is an end. The API reference: "The scan starts
// as PENDING and moves through SCANNING and COLLECTING to COMPLETED. Image Builder sets
// the status to ABANDONED if the image reaches a terminal state before the scan finding
// collection completes. A scan can also end as FAILED or TIMED_OUT."
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ImageScanState.html
func scanEnded(s types.ImageScanStatus) bool {
	switch s {
	case types.ImageScanStatusCompleted, types.ImageScanStatusAbandoned, types.ImageScanStatusFailed, types.ImageScanStatusTimedOut:
		return true
	}
	return false
}

// maxPollsWithoutScanState is how many GetImage answers without a scanState the wait
// takes before it reports the scan as having no state (Image Builder sets one on every
// scanned image; an image it never scans would otherwise be waited for until --timeout).
const maxPollsWithoutScanState = 10

// WaitScan polls GetImage until the image's scanState is an end (or ctx ends: a
// *WaitError) and returns the scan's state and reason.
func WaitScan(ctx context.Context, api awsapi.ImageBuilder, image string, opts BuildOptions) (*ScanResult, error) {
	interval := opts.PollInterval
	if interval <= 0 {
		interval = 30 * time.Second
	}
	last := ""
	failures, without := 0, 0
	for {
		out, err := api.GetImage(ctx, &ib.GetImageInput{ImageBuildVersionArn: aws.String(image)})
		if ctx.Err() != nil {
			return nil, &WaitError{Image: image, State: "AVAILABLE, scan " + dashed(last), Err: ctx.Err()}
		}
		if err != nil {
			// As Follow: the SDK retried already; give up only after several polls in a row.
			if failures++; failures >= 5 {
				return nil, fmt.Errorf("reading the scan state of image %s: %w", image, err)
			}
		} else if out.Image != nil {
			failures = 0
			st := out.Image.ScanState
			if st == nil || st.Status == "" {
				if without++; without >= maxPollsWithoutScanState {
					return &ScanResult{Reason: "Image Builder reports no scan state for the image"}, nil
				}
			} else {
				if s := string(st.Status); s != last {
					last = s
					opts.logf("image %s: vulnerability scan %s", image, s)
				}
				if scanEnded(st.Status) {
					return &ScanResult{State: string(st.Status), Reason: aws.ToString(st.Reason)}, nil
				}
			}
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &WaitError{Image: image, State: "AVAILABLE, scan " + dashed(last), Err: ctx.Err()}
		case <-t.C:
		}
	}
}

// ListFindings lists every scan finding of an image (ListImageScanFindings filtered by
// imageBuildVersionArn, all pages; at most 25 a page, the API's maximum). A throttled
// page is retried by the SDK's retryer (Image Builder's ThrottlingException and
// CallRateLimitExceededException).
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ListImageScanFindings.html
func ListFindings(ctx context.Context, api awsapi.ImageBuilder, image string) ([]types.ImageScanFinding, error) {
	var out []types.ImageScanFinding
	p := ib.NewListImageScanFindingsPaginator(api, &ib.ListImageScanFindingsInput{
		Filters:    []types.ImageScanFindingsFilter{{Name: aws.String("imageBuildVersionArn"), Values: []string{image}}},
		MaxResults: aws.Int32(25),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the scan findings of image %s: %w", image, err)
		}
		out = append(out, page.Findings...)
	}
	return out, nil
}

// Scan waits for the image's scan to end, counts its findings and checks them against
// failOn (ScanResult.Blocked).
func Scan(ctx context.Context, api awsapi.ImageBuilder, image, failOn string, opts BuildOptions) (*ScanResult, error) {
	s, err := WaitScan(ctx, api, image, opts)
	if err != nil {
		return nil, err
	}
	var findings []types.ImageScanFinding
	if s.Completed() {
		if findings, err = ListFindings(ctx, api, image); err != nil {
			return nil, err
		}
	}
	gate(s, findings, failOn)
	return s, nil
}
