package ec2

import (
	"strings"
	"unicode/utf8"
)

// tagsOf returns the tag map of a resource the caller may tag.
func tagsOf(c *call, id string) (map[string]string, *apiError) {
	switch {
	case strings.HasPrefix(id, "ami-"):
		img := c.rs.images[id]
		if img == nil || !img.visible(c.account) {
			return nil, errf("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
		}
		if img.OwnerID != c.account && !containsStr(img.LaunchPermissions, c.account) {
			return nil, errf("AuthFailure", "Not authorized for image:%s", id)
		}
		return img.Tags, nil
	case strings.HasPrefix(id, "snap-"):
		sn := c.rs.snapshots[id]
		if sn == nil || sn.OwnerID != c.account {
			return nil, errf("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", id)
		}
		return sn.Tags, nil
	case strings.HasPrefix(id, "i-"):
		in, aerr := findInstance(c, id)
		if aerr != nil {
			return nil, aerr
		}
		return in.Tags, nil
	case strings.HasPrefix(id, "lt-"):
		t, aerr := findTemplate(c, id, "")
		if aerr != nil {
			return nil, aerr
		}
		return t.Tags, nil
	case strings.HasPrefix(id, "vpc-"):
		v, aerr := findVPC(c, id)
		if aerr != nil {
			return nil, aerr
		}
		return v.Tags, nil
	case strings.HasPrefix(id, "subnet-"):
		sn, aerr := findSubnet(c, id)
		if aerr != nil {
			return nil, aerr
		}
		return sn.Tags, nil
	case strings.HasPrefix(id, "key-"):
		for _, k := range c.rs.keyPairs {
			if k.ID == id {
				return k.Tags, nil
			}
		}
		return nil, errf("InvalidKeyPairId.NotFound", "The key pair '%s' does not exist", id)
	case strings.HasPrefix(id, "sg-"):
		g, aerr := findGroup(c, id)
		if aerr != nil {
			return nil, aerr
		}
		return g.Tags, nil
	}
	return nil, errf("InvalidID", "The ID '%s' is not valid", id)
}

// resourceTags returns the tag maps of the request's ResourceId.N resources, in order;
// CreateTags and DeleteTags fail as a whole when any resource is missing.
func resourceTags(c *call) ([]map[string]string, *apiError) {
	ids := c.v.List("ResourceId")
	if len(ids) == 0 {
		return nil, errf("MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	var maps []map[string]string
	for _, id := range ids {
		m, aerr := tagsOf(c, id)
		if aerr != nil {
			return nil, aerr
		}
		maps = append(maps, m)
	}
	return maps, nil
}

func (s *Service) createTags(c *call) (any, *apiError) {
	if len(c.v.List("ResourceId")) == 0 {
		return nil, errf("MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	tags := c.v.Structs("Tag")
	if len(tags) == 0 {
		return nil, errf("MissingParameter", "The request must contain the parameter tagSet")
	}
	maps, aerr := resourceTags(c)
	if aerr != nil {
		return nil, aerr
	}
	for _, t := range tags {
		k := t.Get("Key")
		if k == "" || len(k) > 128 || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, errf("InvalidParameterValue", "Tag key '%s' is not valid: keys are 1 to 128 characters and may not start with 'aws:'", k)
		}
		// Values are at most 256 characters; a resource holds at most 50 user tags (tags
		// prefixed aws: do not count). AWS tag restrictions, as the EC2 User Guide ("Tag
		// restrictions") and every service's tagging page state them, e.g.
		// https://docs.aws.amazon.com/batch/latest/userguide/tag-restrictions.html;
		// TagLimitExceeded ("The maximum number of Tags for a resource has been reached."),
		// aws: tags not counted, as moto 5.2.1 models EC2 (moto/ec2/models/tags.py,
		// moto/ec2/exceptions.py).
		if v := t.Get("Value"); utf8.RuneCountInString(v) > 256 {
			return nil, errf("InvalidParameterValue", "Tag value for key '%s' is not valid: values are at most 256 characters (%d given)", k, utf8.RuneCountInString(v))
		}
	}
	var requested []map[string]string
	for _, t := range tags {
		requested = append(requested, map[string]string{"Key": t.Get("Key"), "Value": t.Get("Value")})
	}
	if aerr := s.authorizeCreateTags(c, c.v.List("ResourceId"), maps, requested); aerr != nil {
		return nil, aerr
	}
	for i, m := range maps {
		n := 0
		for k := range m {
			if !strings.HasPrefix(strings.ToLower(k), "aws:") {
				n++
			}
		}
		for _, t := range tags {
			if _, ok := m[t.Get("Key")]; !ok {
				n++
			}
		}
		if n > 50 {
			return nil, errf("TagLimitExceeded", "The maximum number of Tags for a resource has been reached. (%s: 50 user tags, %d requested)", c.v.List("ResourceId")[i], n)
		}
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	for _, m := range maps {
		for _, t := range tags {
			m[t.Get("Key")] = t.Get("Value")
		}
	}
	return returnTrue{true}, nil
}

func (s *Service) deleteTags(c *call) (any, *apiError) {
	maps, aerr := resourceTags(c)
	if aerr != nil {
		return nil, aerr
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	for _, m := range maps {
		for _, t := range c.v.Structs("Tag") {
			if t.Has("Value") && m[t.Get("Key")] != t.Get("Value") {
				continue
			}
			delete(m, t.Get("Key"))
		}
	}
	return returnTrue{true}, nil
}
