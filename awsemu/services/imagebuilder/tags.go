package imagebuilder

import (
	"net/http"

	"github.com/winami/winami/awsemu/protocol/restjson"
)

// taggable finds the tags of the resource an ARN names.
func taggable(c *call) (*map[string]string, *restjson.Error) {
	_, params := routes.Match(c.HTTP)
	arn := params["resourceArn"]
	p, ok := parseARN(arn)
	if !ok {
		return nil, restjson.Errorf(http.StatusBadRequest, "InvalidParameterException", "The resource ARN '%s' is not valid.", arn)
	}
	missing := restjson.Errorf(http.StatusNotFound, "ResourceNotFoundException", "The resource ARN '%s' does not exist.", arn)
	if p.region != c.Region {
		return nil, missing
	}
	switch p.kind {
	case "component":
		if x, ok := c.rg.components[arn]; ok {
			return &x.tags, nil
		}
	case "image-recipe":
		if x, ok := c.rg.recipes[arn]; ok {
			return &x.tags, nil
		}
	case "infrastructure-configuration":
		if x, ok := c.rg.infras[arn]; ok {
			return &x.tags, nil
		}
	case "distribution-configuration":
		if x, ok := c.rg.dists[arn]; ok {
			return &x.tags, nil
		}
	case "image-pipeline":
		if x, ok := c.rg.pipelines[arn]; ok {
			return &x.tags, nil
		}
	case "image":
		if x, ok := c.rg.images[arn]; ok {
			return &x.tags, nil
		}
	}
	return nil, missing
}

func tagResource(c *call) (map[string]any, *restjson.Error) {
	tags, err := taggable(c)
	if err != nil {
		return nil, err
	}
	add, err := checkTags("tags", c.raw["tags"])
	if err != nil {
		err.Code = "InvalidParameterException"
		return nil, err
	}
	if len(add) == 0 {
		return nil, restjson.Errorf(http.StatusBadRequest, "InvalidParameterException", "tags must hold at least one tag.")
	}
	if *tags == nil {
		*tags = map[string]string{}
	}
	for k, v := range add {
		(*tags)[k] = v
	}
	if len(*tags) > 50 {
		return nil, restjson.Errorf(http.StatusBadRequest, "InvalidParameterException", "A resource can have at most 50 tags.")
	}
	return map[string]any{}, nil
}

func untagResource(c *call) (map[string]any, *restjson.Error) {
	tags, err := taggable(c)
	if err != nil {
		return nil, err
	}
	keys := c.HTTP.URL.Query()["tagKeys"]
	if len(keys) == 0 {
		return nil, restjson.Errorf(http.StatusBadRequest, "InvalidParameterException", "tagKeys must name at least one key.")
	}
	for _, k := range keys {
		delete(*tags, k)
	}
	return map[string]any{}, nil
}

func listTags(c *call) (map[string]any, *restjson.Error) {
	tags, err := taggable(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"tags": tagsOrEmpty(*tags)}, nil
}
