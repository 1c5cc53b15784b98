package imagebuilder

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/winami/winami/awsemu/protocol/restjson"
)

// pipeline is an image pipeline.
type pipeline struct {
	arn       string
	name      string
	recipeArn string
	infraArn  string
	distArn   string
	doc       map[string]any
	tags      map[string]string
	created   time.Time
	updated   time.Time
}

var pipelineFields = []string{"description", "imageRecipeArn", "infrastructureConfigurationArn", "distributionConfigurationArn",
	"imageTestsConfiguration", "enhancedImageMetadataEnabled", "schedule", "status", "imageScanningConfiguration",
	"workflows", "executionRole", "loggingConfiguration", "imageTags"}

func (p *pipeline) full(c *call) map[string]any {
	out := clone(p.doc)
	out["arn"] = p.arn
	out["name"] = p.name
	if _, ok := out["status"]; !ok {
		out["status"] = "ENABLED"
	}
	if _, ok := out["enhancedImageMetadataEnabled"]; !ok {
		out["enhancedImageMetadataEnabled"] = true
	}
	if _, ok := out["imageTestsConfiguration"]; !ok {
		out["imageTestsConfiguration"] = map[string]any{"imageTestsEnabled": true, "timeoutMinutes": 720}
	}
	if r, err := findRecipe(c, p.recipeArn, "imageRecipeArn"); err == nil {
		out["platform"] = r.platform
	}
	out["dateCreated"] = timeString(p.created)
	if !p.updated.IsZero() {
		out["dateUpdated"] = timeString(p.updated)
	}
	if last := c.s.lastImage(c.rg, p.arn); last != nil {
		out["dateLastRun"] = timeString(last.started)
		st, _ := last.status()
		out["lastRunStatus"] = st
	}
	out["tags"] = tagsOrEmpty(p.tags)
	out["consecutiveFailures"] = 0
	return out
}

// lastImage is the newest image a pipeline started.
func (s *Service) lastImage(rg *region, pipelineArn string) *image {
	var last *image
	for _, img := range rg.images {
		if img.pipelineArn == pipelineArn && (last == nil || img.seq > last.seq) {
			last = img
		}
	}
	return last
}

// validatePipeline checks the pipeline's references and returns them.
func validatePipeline(c *call) (recipeArn, infraArn, distArn string, err *restjson.Error) {
	var in struct {
		ImageRecipeArn     string `json:"imageRecipeArn"`
		ContainerRecipeArn string `json:"containerRecipeArn"`
		InfraArn           string `json:"infrastructureConfigurationArn"`
		DistArn            string `json:"distributionConfigurationArn"`
		Status             string `json:"status"`
		Tests              *struct {
			Timeout int `json:"timeoutMinutes"`
		} `json:"imageTestsConfiguration"`
		Schedule *struct {
			Expression string `json:"scheduleExpression"`
		} `json:"schedule"`
		Scanning *struct {
			Enabled *bool `json:"imageScanningEnabled"`
			ECR     *struct {
				Repository *string  `json:"repositoryName"`
				Tags       []string `json:"containerTags"`
			} `json:"ecrConfiguration"`
		} `json:"imageScanningConfiguration"`
	}
	if err := decode(c.raw, &in); err != nil {
		return "", "", "", err
	}
	if in.ContainerRecipeArn != "" {
		return "", "", "", invalidRequest("awsemu serves AMI pipelines only; containerRecipeArn is not supported")
	}
	if in.ImageRecipeArn == "" {
		return "", "", "", invalidParam("imageRecipeArn", "imageRecipeArn is required for an AMI pipeline")
	}
	if _, err := findRecipe(c, in.ImageRecipeArn, "imageRecipeArn"); err != nil {
		return "", "", "", err
	}
	if _, err := findConfig(c, c.rg.infras, "infrastructure-configuration", "infrastructureConfigurationArn", in.InfraArn); err != nil {
		return "", "", "", err
	}
	if in.DistArn != "" {
		if _, err := findConfig(c, c.rg.dists, "distribution-configuration", "distributionConfigurationArn", in.DistArn); err != nil {
			return "", "", "", err
		}
	}
	if in.Status != "" && in.Status != "ENABLED" && in.Status != "DISABLED" {
		return "", "", "", invalidParam("status", "status must be ENABLED or DISABLED")
	}
	if in.Tests != nil && in.Tests.Timeout != 0 && (in.Tests.Timeout < 60 || in.Tests.Timeout > 1440) {
		return "", "", "", invalidParam("imageTestsConfiguration.timeoutMinutes", "timeoutMinutes must be between 60 and 1440")
	}
	// ImageScanningConfiguration: imageScanningEnabled (boolean) and ecrConfiguration
	// {repositoryName 1..1024 characters, containerTags strings} (API Reference,
	// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ImageScanningConfiguration.html,
	// API_EcrConfiguration.html). ecrConfiguration is for container images; an AMI pipeline
	// stores and returns it.
	if sc := in.Scanning; sc != nil && sc.ECR != nil && sc.ECR.Repository != nil && (len(*sc.ECR.Repository) < 1 || len(*sc.ECR.Repository) > 1024) {
		return "", "", "", invalidParam("imageScanningConfiguration.ecrConfiguration.repositoryName", "repositoryName must be between 1 and 1024 characters")
	}
	if in.Schedule != nil && in.Schedule.Expression == "" {
		return "", "", "", invalidParam("schedule.scheduleExpression", "scheduleExpression must not be empty")
	}
	if err := checkOptional(c.raw, "description", 1024); err != nil {
		return "", "", "", err
	}
	if _, err := checkTags("imageTags", c.raw["imageTags"]); err != nil {
		return "", "", "", err
	}
	if err := checkExecutionRole(c); err != nil {
		return "", "", "", err
	}
	return in.ImageRecipeArn, in.InfraArn, in.DistArn, nil
}

// roleNameOrARNRE is the model's RoleNameOrArn pattern for executionRole (1–2048 characters).
var roleNameOrARNRE = regexp.MustCompile(`^(?:arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/)?[a-zA-Z_0-9+=,.@\-_/]+$`)

// ImageBuilderService is the service principal Image Builder assumes roles as.
const ImageBuilderService = "imagebuilder.amazonaws.com"

// checkExecutionRole validates a pipeline's executionRole (a role name or ARN, the model's
// RoleNameOrArn) and, when Server.IAM is set, that the caller may pass it to Image Builder:
// CreateImagePipeline and UpdateImagePipeline authorize iam:PassRole with
// iam:PassedToService = imagebuilder.amazonaws.com. A refusal is AccessDeniedException
// (403) in IAM's wording (the code Image Builder answers is not documented: DIFFERENCES.md).
// Whether the role exists and trusts Image Builder is checked when a build starts.
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_CreateImagePipeline.html
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2imagebuilder.html
func checkExecutionRole(c *call) *restjson.Error {
	v, ok := c.raw["executionRole"]
	if !ok {
		return nil
	}
	role, _ := v.(string)
	if len(role) < 1 || len(role) > 2048 || !roleNameOrARNRE.MatchString(role) {
		return invalidParam("executionRole", "executionRole must be an IAM role name or role ARN matching %s", roleNameOrARNRE)
	}
	if c.s.srv.IAM == nil {
		return nil
	}
	arn, found := c.s.srv.IAM.RoleARN(role)
	if !found {
		arn = role
		if !strings.HasPrefix(role, "arn:") {
			arn = "arn:aws:iam::" + c.Account + ":role/" + role
		}
	}
	caller := c.Principal
	if caller == "" {
		caller = c.s.srv.CallerARN()
	}
	if ok, reason := c.s.srv.IAM.Authorize(caller, "iam:PassRole", arn,
		map[string][]string{"iam:PassedToService": {ImageBuilderService}}); !ok {
		return restjson.Errorf(http.StatusForbidden, "AccessDeniedException", "%s", reason)
	}
	return nil
}

func createPipeline(c *call) (map[string]any, *restjson.Error) {
	name, _ := c.raw["name"].(string)
	if err := checkName(name); err != nil {
		return nil, err
	}
	recipeArn, infraArn, distArn, err := validatePipeline(c)
	if err != nil {
		return nil, err
	}
	tags, err := checkTags("tags", c.raw["tags"])
	if err != nil {
		return nil, err
	}
	arn := resourceARN(c.Region, c.Account, "image-pipeline", name)
	if _, ok := c.rg.pipelines[arn]; ok {
		return nil, alreadyExists("ImagePipeline", arn)
	}
	c.rg.pipelines[arn] = &pipeline{arn: arn, name: name, recipeArn: recipeArn, infraArn: infraArn, distArn: distArn,
		doc: pick(c.raw, pipelineFields), tags: tags, created: c.now}
	return map[string]any{"imagePipelineArn": arn}, nil
}

func findPipeline(c *call, arn string) (*pipeline, *restjson.Error) {
	p, ok := parseARN(arn)
	if !ok || p.kind != "image-pipeline" || p.version != "" {
		return nil, invalidParam("imagePipelineArn", "imagePipelineArn must be an image pipeline ARN")
	}
	pl, ok := c.rg.pipelines[arn]
	if !ok {
		return nil, notFound("The resource ARN '%s' does not exist.", arn)
	}
	return pl, nil
}

func getPipeline(c *call) (map[string]any, *restjson.Error) {
	pl, err := findPipeline(c, c.HTTP.URL.Query().Get("imagePipelineArn"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"imagePipeline": pl.full(c)}, nil
}

func updatePipeline(c *call) (map[string]any, *restjson.Error) {
	arn, _ := c.raw["imagePipelineArn"].(string)
	pl, err := findPipeline(c, arn)
	if err != nil {
		return nil, err
	}
	recipeArn, infraArn, distArn, err := validatePipeline(c)
	if err != nil {
		return nil, err
	}
	pl.recipeArn, pl.infraArn, pl.distArn = recipeArn, infraArn, distArn
	pl.doc = pick(c.raw, pipelineFields)
	pl.updated = c.now
	return map[string]any{"imagePipelineArn": arn}, nil
}

func listPipelines(c *call) (map[string]any, *restjson.Error) {
	fs, err := filters(c, "description", "distributionConfigurationArn", "imageRecipeArn", "infrastructureConfigurationArn", "name", "status")
	if err != nil {
		return nil, err
	}
	var items []map[string]any
	for _, k := range slices.Sorted(maps.Keys(c.rg.pipelines)) {
		pl := c.rg.pipelines[k]
		full := pl.full(c)
		str := func(k string) string { s, _ := full[k].(string); return s }
		if match(fs, "name", pl.name) && match(fs, "status", str("status")) && match(fs, "description", str("description")) &&
			match(fs, "imageRecipeArn", pl.recipeArn) && match(fs, "infrastructureConfigurationArn", pl.infraArn) &&
			match(fs, "distributionConfigurationArn", pl.distArn) {
			items = append(items, full)
		}
	}
	return page(c, items, "imagePipelineList", func(m map[string]any) map[string]any { return m })
}

func deletePipeline(c *call) (map[string]any, *restjson.Error) {
	arn := c.HTTP.URL.Query().Get("imagePipelineArn")
	if _, err := findPipeline(c, arn); err != nil {
		return nil, err
	}
	var running []string
	for _, k := range slices.Sorted(maps.Keys(c.rg.images)) {
		img := c.rg.images[k]
		if img.pipelineArn == arn && img.final == "" {
			running = append(running, img.arn)
		}
	}
	if len(running) > 0 {
		return nil, dependency(arn, running)
	}
	delete(c.rg.pipelines, arn)
	delete(c.s.seeded, arn) // a pipeline created again under the name starts without findings
	return map[string]any{"imagePipelineArn": arn}, nil
}

func startPipeline(c *call) (map[string]any, *restjson.Error) {
	arn, _ := c.raw["imagePipelineArn"].(string)
	pl, err := findPipeline(c, arn)
	if err != nil {
		return nil, err
	}
	startTags, err := checkTags("tags", c.raw["tags"])
	if err != nil {
		return nil, err
	}
	rec, err := findRecipe(c, pl.recipeArn, "imageRecipeArn")
	if err != nil {
		return nil, err
	}
	infra, ok := c.rg.infras[pl.infraArn]
	if !ok {
		return nil, notFound("The resource ARN '%s' does not exist.", pl.infraArn)
	}
	var dist *config
	if pl.distArn != "" {
		if dist, ok = c.rg.dists[pl.distArn]; !ok {
			return nil, notFound("The resource ARN '%s' does not exist.", pl.distArn)
		}
	}
	build := 1
	for _, img := range c.rg.images {
		if arnName(img.name) == arnName(rec.name) && img.version == rec.version && img.build >= build {
			build = img.build + 1
		}
	}
	c.s.seq++
	img := &image{
		seq: c.s.seq, region: c.Region, account: c.Account, name: rec.name, version: rec.version, build: build,
		pipelineArn: pl.arn, pipelineName: pl.name, recipe: rec, recipeDoc: rec.full(c.Account),
		infraDoc: infra.full(), started: c.now, testsEnabled: true, logsWritten: map[string]bool{},
	}
	img.arn = resourceARN(c.Region, c.Account, "image", rec.name, rec.version.String(), itoa(build))
	_ = decode(infra.doc, &img.infra)
	img.instanceProfile = img.infra.InstanceProfileName
	if dist != nil {
		img.distDoc = dist.full()
		_ = decode(dist.doc["distributions"], &img.dists)
	}
	full := pl.full(c)
	img.testsConfig, _ = full["imageTestsConfiguration"].(map[string]any)
	if enabled, ok := img.testsConfig["imageTestsEnabled"].(bool); ok {
		img.testsEnabled = enabled
	}
	img.enhanced, _ = full["enhancedImageMetadataEnabled"].(bool)
	img.executionRole, _ = pl.doc["executionRole"].(string)
	if sc, ok := pl.doc["imageScanningConfiguration"].(map[string]any); ok {
		img.scanConfig = clone(sc)
		img.scanEnabled, _ = sc["imageScanningEnabled"].(bool)
	}
	if img.scanEnabled {
		img.findings = cloneFindings(c.s.seeded[pl.arn])
	}
	var imageTags map[string]string
	_ = decode(pl.doc["imageTags"], &imageTags)
	img.tags = map[string]string{}
	for _, src := range []map[string]string{imageTags, startTags} {
		for k, v := range src {
			img.tags[k] = v
		}
	}
	for _, src := range []map[string]string{rec.tags, pl.tags, startTags} {
		if v := src[FailAtTag]; v != "" {
			img.failAt = v
		}
		if v := src[FailReasonTag]; v != "" {
			img.failReason = v
		}
	}
	c.rg.images[img.arn] = img
	c.s.advance(img, c.now)
	return map[string]any{"imageBuildVersionArn": img.arn}, nil
}

func findImage(c *call, arn, param string) (*image, *restjson.Error) {
	p, ok := parseARN(arn)
	if !ok || p.kind != "image" || p.version == "" {
		return nil, invalidParam(param, "%s must be an image ARN (…:image/<name>/<version>[/<build>])", param)
	}
	if img, ok := c.rg.images[arn]; ok {
		return img, nil
	}
	pat, _ := parsePattern(p.version)
	var best *image
	for _, img := range c.rg.images {
		if arnName(img.name) != p.name || !pat.matches(img.version) || (p.build != "" && itoa(img.build) != p.build) {
			continue
		}
		if best == nil || best.version.less(img.version) || (best.version == img.version && best.build < img.build) {
			best = img
		}
	}
	if best == nil {
		return nil, notFound("The resource ARN '%s' does not exist.", arn)
	}
	return best, nil
}

func getImage(c *call) (map[string]any, *restjson.Error) {
	img, err := findImage(c, c.HTTP.URL.Query().Get("imageBuildVersionArn"), "imageBuildVersionArn")
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"image":                   img.full(),
		"latestVersionReferences": latestReferences(img.region, img.account, "image", img.name, img.version),
	}, nil
}

func listPipelineImages(c *call) (map[string]any, *restjson.Error) {
	arn, _ := c.raw["imagePipelineArn"].(string)
	if _, err := findPipeline(c, arn); err != nil {
		return nil, err
	}
	fs, err := filters(c, "name", "version")
	if err != nil {
		return nil, err
	}
	var items []*image
	for _, img := range c.rg.images {
		if img.pipelineArn == arn && match(fs, "name", img.name) && match(fs, "version", img.version.String()) {
			items = append(items, img)
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].seq > items[j].seq })
	return page(c, items, "imageSummaryList", (*image).summary)
}

func cancelImage(c *call) (map[string]any, *restjson.Error) {
	arn, _ := c.raw["imageBuildVersionArn"].(string)
	p, ok := parseARN(arn)
	if !ok || p.kind != "image" || p.build == "" {
		return nil, invalidParam("imageBuildVersionArn", "imageBuildVersionArn must be an image build version ARN")
	}
	img, ok := c.rg.images[arn]
	if !ok {
		return nil, notFound("The resource ARN '%s' does not exist.", arn)
	}
	st, _ := img.status()
	switch st {
	case "PENDING", "CREATING", "BUILDING", "TESTING":
	default:
		return nil, restjson.Errorf(http.StatusBadRequest, "ResourceInUseException",
			"The image '%s' cannot be cancelled in status %s.", arn, st)
	}
	img.final, img.reason, img.finalAt = "CANCELLED", "Image creation cancelled by user.", c.now
	return map[string]any{"imageBuildVersionArn": arn}, nil
}
