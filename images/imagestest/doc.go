// Package imagestest serves go-containerregistry's in-memory registry on loopback and
// builds Windows container images to push to it: the fixture of the tests (and the
// benchmark) that exercise package images against a real registry over HTTP.
//
// The builders take a TB (a *testing.T, or Fatal in programs and examples) and stop it
// on the first error, so a test reads as the images it pushes.
package imagestest
