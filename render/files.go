package render

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// File is one rendered file.
type File struct {
	// Name is the file's name in the output directory.
	Name string
	// Data is its content.
	Data []byte
}

func fileName(s string) string { return strings.ReplaceAll(s, " ", "-") }

// Files returns every rendered file, in the order the resources are created:
// the component documents (<component>.yaml); with an execution role,
// iam-create-role.json, iam-attach-role-policy-<policy>.json (one per AWS managed
// policy) and iam-put-role-policy.json (with a published parameter); then
// create-component-<component>.json, create-image-recipe.json,
// create-infrastructure-configuration.json, create-distribution-configuration.json,
// create-image-pipeline.json and cloudformation.yaml.
//
// The account placeholder (AccountPlaceholder) appears only in the JSON request files
// and never in a component document, so the README's envsubst with its explicit variable
// list cannot change a component's script; Files refuses to write one that has it.
func (r *Resources) Files() ([]File, error) {
	var files []File
	add := func(name string, input any) error {
		b, err := CLIInputJSON(input)
		if err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		files = append(files, File{Name: name, Data: b})
		return nil
	}
	for _, c := range r.Components {
		if strings.Contains(c.Document.Data, AccountPlaceholder) {
			return nil, fmt.Errorf("writing %s: the component document contains %s, which the README's envsubst step would replace", c.Document.Name, AccountPlaceholder)
		}
		files = append(files, File{Name: fileName(c.Document.Name) + ".yaml", Data: []byte(c.Document.Data)})
	}
	if e := r.ExecutionRole; e != nil {
		if err := add("iam-create-role.json", e.CreateRole); err != nil {
			return nil, err
		}
		for i, a := range e.AttachRolePolicies {
			if err := add("iam-attach-role-policy-"+e.ManagedPolicies[i]+".json", a); err != nil {
				return nil, err
			}
		}
		if e.PutRolePolicy != nil {
			if err := add("iam-put-role-policy.json", e.PutRolePolicy); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range r.Components {
		if err := add("create-component-"+fileName(c.Document.Name)+".json", c.Input); err != nil {
			return nil, err
		}
	}
	for _, x := range []struct {
		name  string
		input any
	}{
		{"create-image-recipe.json", r.ImageRecipe},
		{"create-infrastructure-configuration.json", r.InfrastructureConfiguration},
		{"create-distribution-configuration.json", r.DistributionConfiguration},
		{"create-image-pipeline.json", r.ImagePipeline},
	} {
		if err := add(x.name, x.input); err != nil {
			return nil, err
		}
	}
	cfn, err := r.CloudFormation().YAML()
	if err != nil {
		return nil, err
	}
	files = append(files, File{Name: "cloudformation.yaml", Data: cfn})
	return files, nil
}

// Write writes files into dir (created when missing) and returns their paths.
func Write(dir string, files []File) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return paths, fmt.Errorf("writing %s: %w", p, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}
