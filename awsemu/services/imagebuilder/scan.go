package imagebuilder

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/restjson"
)

// Image scanning: a pipeline's imageScanningConfiguration.imageScanningEnabled makes Image
// Builder keep "a snapshot of the vulnerability scans that Amazon Inspector runs against the
// build instance" (API Reference, ImageScanningConfiguration,
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ImageScanningConfiguration.html;
// User Guide, https://docs.aws.amazon.com/imagebuilder/latest/userguide/integ-inspector.html).
// awsemu runs no Inspector: the findings of a build are the ones a test seeded through
// ScanFindingsControl before the build started (or set on the image afterwards).

// ScanFindingsControl is the control path (under awsemu.ControlPrefix) that seeds image
// scan findings: POST a ScanFindingsSeed. The ARN's account picks the world (any account
// the endpoint serves).
const ScanFindingsControl = "imagebuilder/scan-findings"

// ScanFindingsSeed is the body of a POST to ScanFindingsControl. Exactly one of
// ImagePipelineArn (the findings every build of that pipeline started afterwards gets, until
// the next seed for the pipeline; an empty list clears) and ImageBuildVersionArn (the
// findings of that existing image, replaced now) is set. Each finding is an ImageScanFinding
// in the API's JSON shape (severity required); awsemu fills awsAccountId,
// imageBuildVersionArn, imagePipelineArn, type (PACKAGE_VULNERABILITY when absent),
// firstObservedAt and updatedAt (the build's end).
type ScanFindingsSeed struct {
	ImagePipelineArn     string           `json:"imagePipelineArn,omitempty"`
	ImageBuildVersionArn string           `json:"imageBuildVersionArn,omitempty"`
	Findings             []map[string]any `json:"findings"`
}

// Severities are the severities of an Amazon Inspector finding, as Image Builder lists them
// (User Guide, https://docs.aws.amazon.com/imagebuilder/latest/userguide/image-security-findings.html;
// Inspector's API spells them in capitals:
// https://docs.aws.amazon.com/inspector/v2/APIReference/API_Finding.html).
var Severities = []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNTRIAGED"}

// scanFindingFields are the members of an ImageScanFinding (API Reference,
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ImageScanFinding.html;
// aws-sdk-go-v2 service/imagebuilder v1.55.2 types.ImageScanFinding has exactly these).
var scanFindingFields = []string{"awsAccountId", "description", "firstObservedAt", "fixAvailable",
	"imageBuildVersionArn", "imagePipelineArn", "inspectorScore", "inspectorScoreDetails",
	"packageVulnerabilityDetails", "remediation", "severity", "title", "type", "updatedAt"}

func (s *Service) serveScanControl(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fail := func(status int, format string, args ...any) {
		b, _ := json.Marshal(map[string]string{"error": fmt.Sprintf(format, args...)})
		w.WriteHeader(status)
		_, _ = w.Write(b)
	}
	if r.Method != http.MethodPost {
		fail(http.StatusMethodNotAllowed, "POST a {\"imagePipelineArn\" or \"imageBuildVersionArn\", \"findings\": [...]} to seed image scan findings")
		return
	}
	var in ScanFindingsSeed
	if !awsemu.DecodeControl(w, r, &in) {
		return
	}
	if (in.ImagePipelineArn == "") == (in.ImageBuildVersionArn == "") {
		fail(http.StatusBadRequest, "give exactly one of imagePipelineArn and imageBuildVersionArn")
		return
	}
	for i, f := range in.Findings {
		for k := range f {
			if !slices.Contains(scanFindingFields, k) {
				fail(http.StatusBadRequest, "findings[%d]: unknown field %q: an ImageScanFinding has %s", i, k, strings.Join(scanFindingFields, ", "))
				return
			}
		}
		sev, _ := f["severity"].(string)
		if !slices.Contains(Severities, sev) {
			fail(http.StatusBadRequest, "findings[%d].severity must be one of %v, not %q", i, Severities, sev)
			return
		}
		if d, ok := f["packageVulnerabilityDetails"].(map[string]any); ok {
			if id, _ := d["vulnerabilityId"].(string); id == "" {
				fail(http.StatusBadRequest, "findings[%d].packageVulnerabilityDetails.vulnerabilityId is required (the API's PackageVulnerabilityDetails requires it)", i)
				return
			}
		}
	}
	arn := in.ImagePipelineArn + in.ImageBuildVersionArn
	if p, ok := parseARN(arn); ok && p.account != s.srv.Account {
		// Another account's resource: its world's Image Builder answers.
		if other := s.forAccount(p.account); other != nil {
			s = other
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ImagePipelineArn != "" {
		p, ok := parseARN(in.ImagePipelineArn)
		if !ok || p.kind != "image-pipeline" || p.version != "" {
			fail(http.StatusBadRequest, "imagePipelineArn %q is not an image pipeline ARN", in.ImagePipelineArn)
			return
		}
		if _, ok := s.region(p.region).pipelines[in.ImagePipelineArn]; !ok || p.account != s.srv.Account {
			fail(http.StatusNotFound, "no image pipeline %s", in.ImagePipelineArn)
			return
		}
		s.seeded[in.ImagePipelineArn] = cloneFindings(in.Findings)
		_, _ = w.Write([]byte(`{}`))
		return
	}
	p, ok := parseARN(in.ImageBuildVersionArn)
	if !ok || p.kind != "image" || p.build == "" {
		fail(http.StatusBadRequest, "imageBuildVersionArn %q is not an image build version ARN", in.ImageBuildVersionArn)
		return
	}
	img, ok := s.region(p.region).images[in.ImageBuildVersionArn]
	if !ok || p.account != s.srv.Account {
		fail(http.StatusNotFound, "no image %s", in.ImageBuildVersionArn)
		return
	}
	if !img.scanEnabled {
		fail(http.StatusConflict, "the image %s was built without imageScanningConfiguration.imageScanningEnabled: Image Builder keeps no findings for it", img.arn)
		return
	}
	img.findings = cloneFindings(in.Findings)
	_, _ = w.Write([]byte(`{}`))
}

// services are the Image Builder services by the world they serve, so that a control path
// answered by the endpoint's own account reaches another account's resources.
var services sync.Map // *awsemu.Server → *Service

// forAccount is the Image Builder service of another account's world of the endpoint.
func (s *Service) forAccount(account string) *Service {
	w, ok := s.srv.Peer(account)
	if !ok {
		return nil
	}
	if v, ok := services.Load(w); ok {
		return v.(*Service)
	}
	return nil
}

func cloneFindings(fs []map[string]any) []map[string]any {
	out := make([]map[string]any, 0, len(fs))
	for _, f := range fs {
		out = append(out, clone(f))
	}
	return out
}

// scanState is the image's ImageScanState (API Reference,
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ImageScanState.html:
// PENDING | SCANNING | COLLECTING | COMPLETED | ABANDONED | FAILED | TIMED_OUT), nil when the
// image was built without scanning. awsemu's timing (DIFFERENCES.md): PENDING until the
// build instance runs, SCANNING while it builds and tests, COLLECTING while the image is
// distributed, COMPLETED once it is AVAILABLE; ABANDONED when the build fails or is
// cancelled.
func (img *image) scanState() map[string]any {
	if !img.scanEnabled {
		return nil
	}
	st, _ := img.status()
	switch st {
	case "AVAILABLE":
		return map[string]any{"status": "COMPLETED"}
	case "FAILED", "CANCELLED":
		return map[string]any{"status": "ABANDONED", "reason": "The image build ended " + st + " before the scan findings were collected."}
	case "BUILDING", "TESTING":
		return map[string]any{"status": "SCANNING"}
	case "DISTRIBUTING", "INTEGRATING":
		return map[string]any{"status": "COLLECTING"}
	}
	return map[string]any{"status": "PENDING"}
}

// epoch renders a restJson1 timestamp (epoch seconds) for the model's DateTimeTimestamp.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// renderFindings are the image's findings as ImageScanFinding
// (https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ImageScanFinding.html),
// listed only once the scan is COMPLETED.
func (img *image) renderFindings() []map[string]any {
	if !img.scanEnabled || img.final != "AVAILABLE" {
		return nil
	}
	out := make([]map[string]any, 0, len(img.findings))
	for _, f := range img.findings {
		m := clone(f)
		m["awsAccountId"] = img.account
		m["imageBuildVersionArn"] = img.arn
		m["imagePipelineArn"] = img.pipelineArn
		if _, ok := m["type"]; !ok {
			m["type"] = "PACKAGE_VULNERABILITY"
		}
		if _, ok := m["firstObservedAt"]; !ok {
			m["firstObservedAt"] = epoch(img.finalAt)
		}
		if _, ok := m["updatedAt"]; !ok {
			m["updatedAt"] = epoch(img.finalAt)
		}
		out = append(out, m)
	}
	return out
}

func vulnerabilityID(f map[string]any) string {
	d, _ := f["packageVulnerabilityDetails"].(map[string]any)
	id, _ := d["vulnerabilityId"].(string)
	return id
}

// listScanFindings serves ListImageScanFindings (API Reference,
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ListImageScanFindings.html):
// the account's findings in the Region, newest image first, filtered by at most one
// ImageScanFindingsFilter with one value (the model's ImageScanFindingsFilterList and
// ImageScanFindingsFilterValues hold at most 1; names imageBuildVersionArn,
// imagePipelineArn, vulnerabilityId, severity; names and values case-sensitive), paged by
// maxResults (1..25) and nextToken. The operation's modeled errors have no
// InvalidParameterValueException: a bad filter is an InvalidRequestException.
func listScanFindings(c *call) (map[string]any, *restjson.Error) {
	var fs []filter
	if v, ok := c.raw["filters"]; ok {
		if err := decode(v, &fs); err != nil {
			return nil, err
		}
		if len(fs) != 1 {
			return nil, invalidRequest("filters must hold exactly 1 filter (ImageScanFindingsFilterList: minimum 1, maximum 1 item).")
		}
	}
	allowed := []string{"imageBuildVersionArn", "imagePipelineArn", "vulnerabilityId", "severity"}
	for _, f := range fs {
		if !slices.Contains(allowed, f.Name) {
			return nil, invalidRequest("The filter name '%s' is not valid. Valid filter names: %v.", f.Name, allowed)
		}
		if len(f.Values) != 1 {
			return nil, invalidRequest("The filter %s must have exactly 1 value (ImageScanFindingsFilterValues: minimum 1, maximum 1 item).", f.Name)
		}
	}
	var imgs []*image
	for _, k := range slices.Sorted(maps.Keys(c.rg.images)) {
		imgs = append(imgs, c.rg.images[k])
	}
	sort.SliceStable(imgs, func(i, j int) bool { return imgs[i].seq > imgs[j].seq })
	var items []map[string]any
	for _, img := range imgs {
		if img.account != c.Account {
			continue
		}
		for _, f := range img.renderFindings() {
			ok := true
			for _, flt := range fs {
				var got string
				switch flt.Name {
				case "imageBuildVersionArn":
					got = img.arn
				case "imagePipelineArn":
					got = img.pipelineArn
				case "vulnerabilityId":
					got = vulnerabilityID(f)
				case "severity":
					got, _ = f["severity"].(string)
				}
				ok = ok && got == flt.Values[0]
			}
			if ok {
				items = append(items, f)
			}
		}
	}
	return page(c, items, "findings", func(m map[string]any) map[string]any { return m })
}

// listScanAggregations serves ListImageScanFindingAggregations (API Reference,
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ListImageScanFindingAggregations.html):
// the filter "determines the type of aggregation" — accountId (the default without a
// filter), imageBuildVersionArn, imagePipelineArn or vulnerabilityId — and each response
// holds exactly one aggregation of that type, one per filter value (per key of the account's
// findings without a value), with severityCounts all, critical, high and medium ("counts by
// severity level for medium severity and higher level findings, plus a total"). A Filter
// holds 1 to 10 values. Reading one response per value is awsemu's (DIFFERENCES.md).
func listScanAggregations(c *call) (map[string]any, *restjson.Error) {
	var f *filter
	if v, ok := c.raw["filter"]; ok {
		f = &filter{}
		if err := decode(v, f); err != nil {
			return nil, err
		}
	}
	typ := "accountId"
	if f != nil {
		typ = f.Name
		switch typ {
		case "accountId", "imageBuildVersionArn", "imagePipelineArn", "vulnerabilityId":
		default:
			return nil, invalidRequest("The filter name '%s' is not valid. Valid filter names: [accountId imageBuildVersionArn imagePipelineArn vulnerabilityId].", f.Name)
		}
		if len(f.Values) < 1 || len(f.Values) > 10 {
			return nil, invalidRequest("The filter %s must have between 1 and 10 values.", f.Name)
		}
	}
	counts := map[string]map[string]int64{}
	var order []string
	for _, k := range slices.Sorted(maps.Keys(c.rg.images)) {
		img := c.rg.images[k]
		if img.account != c.Account {
			continue
		}
		for _, fd := range img.renderFindings() {
			key := map[string]string{"accountId": img.account, "imageBuildVersionArn": img.arn,
				"imagePipelineArn": img.pipelineArn, "vulnerabilityId": vulnerabilityID(fd)}[typ]
			if key == "" {
				continue
			}
			if counts[key] == nil {
				counts[key] = map[string]int64{"all": 0, "critical": 0, "high": 0, "medium": 0}
				order = append(order, key)
			}
			counts[key]["all"]++
			switch fd["severity"] {
			case "CRITICAL":
				counts[key]["critical"]++
			case "HIGH":
				counts[key]["high"]++
			case "MEDIUM":
				counts[key]["medium"]++
			}
		}
	}
	keys := order
	if f != nil {
		keys = f.Values
	} else if len(keys) == 0 {
		keys = []string{c.Account}
	}
	sort.Strings(keys)
	field := map[string][2]string{
		"accountId":            {"accountAggregation", "accountId"},
		"imageBuildVersionArn": {"imageAggregation", "imageBuildVersionArn"},
		"imagePipelineArn":     {"imagePipelineAggregation", "imagePipelineArn"},
		"vulnerabilityId":      {"vulnerabilityIdAggregation", "vulnerabilityId"},
	}[typ]
	responses := []map[string]any{}
	for _, k := range keys {
		sc := counts[k]
		if sc == nil {
			sc = map[string]int64{"all": 0, "critical": 0, "high": 0, "medium": 0}
		}
		responses = append(responses, map[string]any{field[0]: map[string]any{field[1]: k, "severityCounts": sc}})
	}
	return map[string]any{"aggregationType": typ, "responses": responses}, nil
}
