package imagebuilder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/world"
)

// Build logs in S3. An infrastructure configuration's logging.s3Logs "defines where Image
// Builder uploads your logs" (API Reference, Logging and S3Logs); the build instance uploads
// them with its instance profile's credentials, and a role without s3:PutObject there makes
// the build fail with "AccessDenied: Access Denied status code: 403" (User Guide,
// Troubleshooting: "Most commonly, this occurs when the instance profile role does not have
// PutObject permissions for your S3 buckets",
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/troubleshooting.html). AWSTOE
// writes application.log, console.log, detailedoutput.json and document.yaml for each run
// (https://docs.aws.amazon.com/imagebuilder/latest/userguide/toe-use-documents.html).
//
// AWS does not document the keys under s3KeyPrefix; awsemu writes
// <s3KeyPrefix>/<image name>/<version>/<build>/<phase>/<file>, mirroring the CloudWatch
// Logs layout /aws/imagebuilder/<ImageName> : <ImageVersion>/<ImageBuildVersion>
// (https://docs.aws.amazon.com/imagebuilder/latest/userguide/monitor-cwlogs.html), with
// phase "build" (when BUILDING ends) and "test" (when TESTING ends). DIFFERENCES.md.

// LogFiles are the files a build writes per phase.
var LogFiles = []string{"application.log", "console.log", "detailedoutput.json", "document.yaml"}

// s3Logs is the infrastructure configuration's logging.s3Logs.
type s3Logs struct {
	Bucket string `json:"s3BucketName"`
	Prefix string `json:"s3KeyPrefix"`
}

func (img *image) s3Logs() (s3Logs, bool) {
	var in struct {
		Logging *struct {
			S3Logs *s3Logs `json:"s3Logs"`
		} `json:"logging"`
	}
	_ = decode(img.infraDoc, &in)
	if in.Logging == nil || in.Logging.S3Logs == nil || in.Logging.S3Logs.Bucket == "" {
		return s3Logs{}, false
	}
	return *in.Logging.S3Logs, true
}

// LogPrefix is the key prefix (ending in "/") under which a build of image name at version
// and build writes its logs: <s3KeyPrefix>/<name>/<version>/<build>/ (no leading part when
// s3KeyPrefix is empty).
func LogPrefix(s3KeyPrefix, name, version string, build int) string {
	p := strings.Trim(s3KeyPrefix, "/")
	if p != "" {
		p += "/"
	}
	return fmt.Sprintf("%s%s/%s/%d/", p, name, version, build)
}

// instanceID is the build instance's id, derived from the image ARN (the role session an
// instance profile's credentials carry is named after it).
func (img *image) instanceID() string {
	h := sha256.Sum256([]byte(img.arn))
	return "i-" + hex.EncodeToString(h[:])[:17]
}

// writeLogs uploads the logs of phase (build or test) as the instance profile's role; it
// returns the failure reason, or "".
func (s *Service) writeLogs(img *image, phase string, at time.Time) string {
	cfg, ok := img.s3Logs()
	if !ok || img.logsWritten[phase] {
		return ""
	}
	img.logsWritten[phase] = true
	if s.srv.S3 == nil {
		return "Failed to upload the build logs: awsemu has no S3 service"
	}
	roles, ok := s.srv.IAM.(awsemu.InstanceProfileRoles)
	roleARN := ""
	if ok {
		roleARN, ok = roles.InstanceProfileRole(img.instanceProfile)
	}
	if !ok {
		return fmt.Sprintf("Failed to upload the build logs to s3://%s/%s: AccessDenied: Access Denied status code: 403. The instance profile %s has no role to write them with.",
			cfg.Bucket, LogPrefix(cfg.Prefix, img.name, img.version.String(), img.build), img.instanceProfile)
	}
	base := LogPrefix(cfg.Prefix, img.name, img.version.String(), img.build) + phase + "/"
	for _, f := range LogFiles {
		key := base + f
		resource := "arn:" + world.Partition(img.region) + ":s3:::" + cfg.Bucket + "/" + key
		if allowed, reason := s.srv.IAM.Authorize(roleARN, "s3:PutObject", resource, nil); !allowed {
			grant := strings.Trim(cfg.Prefix, "/")
			if grant != "" {
				grant += "/"
			}
			return fmt.Sprintf("Failed to upload the build logs to s3://%s/%s: AccessDenied: Access Denied status code: 403. The instance profile's role needs s3:PutObject on arn:%s:s3:::%s/%s*: %s",
				cfg.Bucket, key, world.Partition(img.region), cfg.Bucket, grant, reason)
		}
		if err := s.srv.S3.PutObject(cfg.Bucket, key, img.logBody(phase, f, at), awsemu.AssumedRoleARN(roleARN, img.instanceID())); err != nil {
			return fmt.Sprintf("Failed to upload the build logs to s3://%s/%s: %v", cfg.Bucket, key, err)
		}
	}
	return ""
}

// logBody is the content of one log file: what the build ran, in AWSTOE's file roles.
func (img *image) logBody(phase, file string, at time.Time) []byte {
	var comps []string
	for _, c := range img.recipe.components {
		comps = append(comps, c.ComponentArn)
	}
	stamp := at.UTC().Format("2006-01-02 15:04:05.000Z")
	switch file {
	case "detailedoutput.json":
		b, _ := json.MarshalIndent(map[string]any{
			"executionId": img.instanceID(), "status": "success", "phase": phase,
			"image": img.arn, "documents": comps, "endTime": stamp,
		}, "", "  ")
		return b
	case "document.yaml":
		return []byte("# awsemu: the components of " + img.arn + "\n- " + strings.Join(comps, "\n- ") + "\n")
	case "console.log":
		return []byte(fmt.Sprintf("%s Phase %s of %s on %s: success\n", stamp, phase, img.arn, img.instanceID()))
	}
	var b strings.Builder
	for _, c := range comps {
		fmt.Fprintf(&b, "%s Info Document %s: phase %s: success\n", stamp, c, phase)
	}
	return []byte(b.String())
}
