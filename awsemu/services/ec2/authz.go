package ec2

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/winami/winami/awsemu"
)

// Authorization of the EC2 actions awsemu checks: EnableFastLaunch (with the launches it
// implies) and DisableFastLaunch, for the caller of the API (Server.CallerARN) and for
// the role Image Builder acts as when it enables Fast Launch during distribution; and the
// caller's CreateTags, DeregisterImage and DeleteSnapshot (authz_tags.go). Other EC2
// actions are not authorized (DIFFERENCES.md). Without Server.IAM nothing is checked.

// FastLaunchTag is the CreatedBy tag EC2 Fast Launch puts on the instances and volumes it
// launches to pre-provision snapshots: the value the policies that allow those launches
// require as aws:RequestTag/CreatedBy (EC2FastLaunchFullAccess, AWSServiceRoleForImageBuilder).
// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/EC2FastLaunchFullAccess.html
const FastLaunchTag = "EC2 Fast Launch"

// unauthorized is EC2's UnauthorizedOperation (HTTP 403) for a refusal IAM explained with
// reason ("User: … is not authorized to perform: … on resource: … because …"), with an
// encoded authorization failure message as EC2 appends one. The message's wording is
// awsemu's (DIFFERENCES.md); the code is EC2's.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
func unauthorized(reason, action, resource string) *apiError {
	blob, _ := json.Marshal(map[string]any{"allowed": false, "explicitDeny": strings.Contains(reason, "explicit deny"), "matchedStatements": []any{},
		"context": map[string]string{"action": action, "resource": resource}})
	return &apiError{status: http.StatusForbidden, code: "UnauthorizedOperation",
		message: "You are not authorized to perform this operation. " + reason + ". Encoded authorization failure message: " +
			base64.RawURLEncoding.EncodeToString(blob)}
}

// authorize evaluates one action for principal through Server.IAM.
func (s *Service) authorize(principal, action, resource string, ctx map[string][]string) *apiError {
	if s.srv.IAM == nil || principal == "" {
		return nil
	}
	if ok, reason := s.srv.IAM.Authorize(principal, action, resource, ctx); !ok {
		return unauthorized(reason, action, resource)
	}
	return nil
}

func (rs *regionState) arn(account, kind, id string) string {
	return "arn:aws:ec2:" + rs.name + ":" + account + ":" + kind + "/" + id
}

// authorizeEnableFastLaunch checks what EC2 checks before it enables Fast Launch: the
// principal may call ec2:EnableFastLaunch on the image and on the launch template (when
// one is given), and may launch instances from them, since EC2 "checks to make sure that
// you have the required permissions to launch instances from the specified AMI and Launch
// Template (if provided) … before EC2 Fast Launch is enabled". The launch is checked as
// EC2 Fast Launch makes it: ec2:RunInstances on the image, the launch template, the
// subnet, the security groups, a network interface and the key pair the template names,
// and on the instance and its volumes with the request tag CreatedBy = EC2 Fast Launch;
// ec2:CreateTags on the instance and volumes with ec2:CreateAction = RunInstances.
// Tags of the image and the template are the context as ec2:ResourceTag/… and
// aws:ResourceTag/…. Callers hold s.mu.
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/win-fast-launch-configure.html
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
func (s *Service) authorizeEnableFastLaunch(rs *regionState, principal, account string, img *image, t *launchTemplate, ver *templateVersion) *apiError {
	if s.srv.IAM == nil || principal == "" {
		return nil
	}
	imageARN := awsemu.ImageARN(rs.name, img.ID)
	imageCtx := awsemu.ResourceTagContext(img.Tags)
	if err := s.authorize(principal, "ec2:EnableFastLaunch", imageARN, imageCtx); err != nil {
		return err
	}
	var groups []string
	subnetARN := rs.arn(account, "subnet", "*")
	if sn := rs.defaultSubnet(""); sn != nil {
		subnetARN = rs.arn(account, "subnet", sn.ID)
		if v := rs.vpcs[sn.VpcID]; v != nil {
			groups = []string{v.DefaultSGID}
		}
	}
	type check struct {
		action, resource string
		ctx              map[string][]string
	}
	var checks []check
	if t != nil {
		ltARN := rs.arn(account, "launch-template", t.ID)
		ltCtx := awsemu.ResourceTagContext(t.Tags)
		if err := s.authorize(principal, "ec2:EnableFastLaunch", ltARN, ltCtx); err != nil {
			return err
		}
		checks = append(checks, check{"ec2:RunInstances", ltARN, ltCtx})
		if ver != nil {
			if len(ver.Data.SecurityGroupIDs) > 0 {
				groups = ver.Data.SecurityGroupIDs
			}
			if ver.Data.KeyName != "" {
				checks = append(checks, check{"ec2:RunInstances", rs.arn(account, "key-pair", ver.Data.KeyName), nil})
			}
		}
	}
	checks = append(checks, check{"ec2:RunInstances", imageARN, imageCtx}, check{"ec2:RunInstances", subnetARN, nil},
		check{"ec2:RunInstances", rs.arn(account, "network-interface", "*"), nil})
	if len(groups) == 0 {
		groups = []string{"*"}
	}
	for _, g := range groups {
		checks = append(checks, check{"ec2:RunInstances", rs.arn(account, "security-group", g), nil})
	}
	launchTags := map[string][]string{"aws:RequestTag/CreatedBy": {FastLaunchTag}, "aws:TagKeys": {"CreatedBy"}}
	tagging := map[string][]string{"aws:RequestTag/CreatedBy": {FastLaunchTag}, "aws:TagKeys": {"CreatedBy"},
		"ec2:CreateAction": {"RunInstances"}}
	for _, kind := range []string{"instance", "volume"} {
		checks = append(checks, check{"ec2:RunInstances", rs.arn(account, kind, "*"), launchTags},
			check{"ec2:CreateTags", rs.arn(account, kind, "*"), tagging})
	}
	for _, c := range checks {
		if err := s.authorize(principal, c.action, c.resource, c.ctx); err != nil {
			return err
		}
	}
	return nil
}

// stackPermissions: without a launch template, EC2 Fast Launch creates a CloudFormation
// stack (a VPC, private subnets, a launch template, a security group) on the principal's
// behalf, which is why the EC2 user guide says "If you don't use a custom launch template
// to configure your settings, you must attach the EC2FastLaunchFullAccess policy to your
// current IAM role before you enable EC2 Fast Launch" (and the Image Builder guide, to the
// role Image Builder uses). awsemu checks, as EC2FastLaunchFullAccess grants them (with
// aws:CalledVia ec2fastlaunch.amazonaws.com and the request tag CreatedBy: EC2 Fast
// Launch), cloudformation:CreateStack on stack/EC2FastLaunch…, ec2:CreateVpc and
// ec2:CreateLaunchTemplate. A refusal does not fail the call: the stack is made afterwards,
// so the enabling ends "enabling-failed" with the returned reason (awsemu's wording,
// DIFFERENCES.md). Callers hold s.mu.
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/win-start-fast-launch-prereqs.html
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/cr-upd-ami-distribution-settings.html#ami-distribution-prereqs-fast-launch
func (s *Service) stackPermissions(rs *regionState, principal, account, imageID string) string {
	if s.srv.IAM == nil || principal == "" {
		return ""
	}
	ctx := map[string][]string{"aws:CalledVia": {"ec2fastlaunch.amazonaws.com"},
		"aws:RequestTag/CreatedBy": {FastLaunchTag}, "aws:TagKeys": {"CreatedBy"}}
	for _, c := range []struct{ action, resource string }{
		{"cloudformation:CreateStack", "arn:aws:cloudformation:" + rs.name + ":" + account + ":stack/EC2FastLaunchDefaultResourceCreation-" + imageID + "/*"},
		{"ec2:CreateVpc", rs.arn(account, "vpc", "*")},
		{"ec2:CreateLaunchTemplate", rs.arn(account, "launch-template", "*")},
	} {
		if ok, reason := s.srv.IAM.Authorize(principal, c.action, c.resource, ctx); !ok {
			return "Client.UnauthorizedOperation: without a launch template, EC2 Fast Launch creates its resources " +
				"(a CloudFormation stack with a VPC, subnets, a launch template and a security group) with your permissions, " +
				"and " + reason + ". Attach EC2FastLaunchFullAccess to the principal, or give a launch template."
		}
	}
	return ""
}
