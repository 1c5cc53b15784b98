// Package pipeline runs winami's workflows on a spec, the ones `winami plan`, `apply`,
// `build` and `render --resolve-digests` run: [Load] resolves what rendering offline cannot
// (a parent pinned to a release date, the cached images' digests and platform manifests
// read from their registries) and renders the spec into the desired Image Builder state;
// [Pipeline.Plan], [Pipeline.Apply], [Pipeline.Preflight] and [Pipeline.Build] then plan,
// converge, check and build it with package imagebuilder and package preflight. A Go
// program gets from it what the command line gets:
//
//	p, err := pipeline.Load(ctx, clients, img, pipeline.Options{})
//	plan, err := p.Plan(ctx)
//	applied, err := p.Apply(ctx)
//	res, err := p.Build(ctx, applied, imagebuilder.BuildOptions{})
//
// The registries are read once per Load: the same report gives the image-cache component
// its platform manifests, pins digests, sizes the root volume and records the build's
// inputs.
package pipeline
