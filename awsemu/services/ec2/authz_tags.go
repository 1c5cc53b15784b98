package ec2

import (
	"strings"

	"github.com/winami/winami/awsemu"
)

// Authorization of the tag-scoped EC2 actions winami's operator policy grants: CreateTags
// (called directly), DeregisterImage and DeleteSnapshot, for the caller of the API
// (Server.CallerARN), as IAM evaluates them. The request context is what the Service
// Authorization Reference lists for these actions
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html):
// the resource's tags as ec2:ResourceTag/<key> and aws:ResourceTag/<key>, and for
// CreateTags the request's tags as aws:RequestTag/<key> and their keys as aws:TagKeys.
// A direct CreateTags carries no ec2:CreateAction: that key is set only when tags come
// with a resource-creating call (EC2 User Guide, "Grant permission to tag Amazon EC2
// resources during creation",
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html).
// Each resource of a CreateTags request is authorized on its own; one refusal fails the
// request and tags nothing. Without Server.IAM nothing is checked.

// resourceARN is the ARN of an EC2 resource by its id (AMIs and snapshots name no
// account).
func (c *call) resourceARN(id string) string {
	kinds := []struct{ prefix, kind string }{
		{"i-", "instance"}, {"lt-", "launch-template"}, {"vpc-", "vpc"}, {"subnet-", "subnet"},
		{"key-", "key-pair"}, {"sg-", "security-group"}, {"vol-", "volume"},
	}
	switch {
	case strings.HasPrefix(id, "ami-"):
		return awsemu.ImageARN(c.region, id)
	case strings.HasPrefix(id, "snap-"):
		return "arn:aws:ec2:" + c.region + "::snapshot/" + id
	}
	for _, k := range kinds {
		if strings.HasPrefix(id, k.prefix) {
			return c.rs.arn(c.account, k.kind, id)
		}
	}
	return c.rs.arn(c.account, "*", id)
}

// authorizeCaller evaluates action on the resource id (with its tags) for the caller,
// with extra request context.
func (s *Service) authorizeCaller(c *call, action, id string, tags map[string]string, extra map[string][]string) *apiError {
	if s.srv.IAM == nil {
		return nil
	}
	ctx := awsemu.ResourceTagContext(tags)
	for k, v := range extra {
		ctx[k] = v
	}
	return s.authorize(c.principal, action, c.resourceARN(id), ctx)
}

// authorizeCreateTags authorizes a direct CreateTags of tags on each resource.
func (s *Service) authorizeCreateTags(c *call, ids []string, maps []map[string]string, tags []map[string]string) *apiError {
	if s.srv.IAM == nil {
		return nil
	}
	extra := map[string][]string{}
	var keys []string
	for _, t := range tags {
		keys = append(keys, t["Key"])
		extra["aws:RequestTag/"+t["Key"]] = []string{t["Value"]}
	}
	extra["aws:TagKeys"] = keys
	for i, id := range ids {
		if err := s.authorizeCaller(c, "ec2:CreateTags", id, maps[i], extra); err != nil {
			return err
		}
	}
	return nil
}
