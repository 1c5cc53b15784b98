package ecr

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/awsjson"
)

// TokenLifetime is how long an authorization token is valid, as on AWS.
const TokenLifetime = 12 * time.Hour

// Service is the ECR service of the endpoint. It is safe for concurrent use.
type Service struct {
	// Protocol answers Operation, Serve, WriteError and Throttle (awsJson).
	awsjson.Protocol

	srv   *awsemu.Server
	mu    sync.RWMutex
	repos map[string]map[string]*repo // region → name → repository
}

type repo struct {
	name       string
	created    time.Time
	mutability string
	images     []*image // in push order
}

type image struct {
	digest    string
	tags      []string
	manifest  string
	mediaType string
	size      int64
	pushed    time.Time
}

// New returns the ECR service and registers it on srv.
func New(srv *awsemu.Server) *Service {
	s := &Service{srv: srv, repos: map[string]map[string]*repo{}}
	s.Handlers = map[string]awsjson.Handler{
		"GetAuthorizationToken": s.getAuthorizationToken,
		"CreateRepository":      s.createRepository,
		"DescribeRepositories":  s.describeRepositories,
		"DeleteRepository":      s.deleteRepository,
		"PutImage":              s.putImage,
		"DescribeImages":        s.describeImages,
		"BatchDeleteImage":      s.batchDeleteImage,
	}
	srv.Register(s)
	return s
}

// Name is the SigV4 signing name, "ecr".
func (s *Service) Name() string { return "ecr" }

var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

// registry checks a registryId (the caller's account when empty).
func (s *Service) registry(id string) (string, error) {
	if id == "" || id == s.srv.Account {
		return s.srv.Account, nil
	}
	if !accountRE.MatchString(id) {
		return "", awsjson.Errorf("InvalidParameterException", "Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''")
	}
	return id, nil
}

func (s *Service) getAuthorizationToken(r *awsemu.Request) (any, error) {
	var in struct {
		RegistryIDs []string `json:"registryIds"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	ids := in.RegistryIDs
	if len(ids) == 0 {
		ids = []string{s.srv.Account}
	}
	now := s.srv.Clock.Now().UTC()
	type authData struct {
		AuthorizationToken string        `json:"authorizationToken"`
		ExpiresAt          *awsjson.Time `json:"expiresAt"`
		ProxyEndpoint      string        `json:"proxyEndpoint"`
	}
	var out []authData
	for _, id := range ids {
		if _, err := s.registry(id); err != nil {
			return nil, err
		}
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%s/%d", id, r.Region, r.AccessKey, now.UnixNano())))
		token := "awsemu." + base64.RawURLEncoding.EncodeToString(sum[:])
		out = append(out, authData{
			AuthorizationToken: base64.StdEncoding.EncodeToString([]byte("AWS:" + token)),
			ExpiresAt:          awsjson.TimePtr(now.Add(TokenLifetime)),
			ProxyEndpoint:      fmt.Sprintf("https://%s.dkr.ecr.%s.amazonaws.com", id, r.Region),
		})
	}
	return map[string]any{"authorizationData": out}, nil
}

var repoNameRE = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

type repoOut struct {
	RepositoryArn              string            `json:"repositoryArn"`
	RegistryID                 string            `json:"registryId"`
	RepositoryName             string            `json:"repositoryName"`
	RepositoryURI              string            `json:"repositoryUri"`
	CreatedAt                  *awsjson.Time     `json:"createdAt"`
	ImageTagMutability         string            `json:"imageTagMutability"`
	ImageScanningConfiguration map[string]bool   `json:"imageScanningConfiguration"`
	EncryptionConfiguration    map[string]string `json:"encryptionConfiguration"`
}

func (s *Service) repoOut(region string, rp *repo) repoOut {
	return repoOut{
		RepositoryArn:              fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", region, s.srv.Account, rp.name),
		RegistryID:                 s.srv.Account,
		RepositoryName:             rp.name,
		RepositoryURI:              fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", s.srv.Account, region, rp.name),
		CreatedAt:                  awsjson.TimePtr(rp.created),
		ImageTagMutability:         rp.mutability,
		ImageScanningConfiguration: map[string]bool{"scanOnPush": false},
		EncryptionConfiguration:    map[string]string{"encryptionType": "AES256"},
	}
}

func notFound(name, registry string) error {
	return awsjson.Errorf("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, registry)
}

func (s *Service) createRepository(r *awsemu.Request) (any, error) {
	var in struct {
		RepositoryName     string `json:"repositoryName"`
		ImageTagMutability string `json:"imageTagMutability"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	if len(in.RepositoryName) < 2 || len(in.RepositoryName) > 256 || !repoNameRE.MatchString(in.RepositoryName) {
		return nil, awsjson.Errorf("InvalidParameterException", "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''")
	}
	mut := in.ImageTagMutability
	switch mut {
	case "":
		mut = "MUTABLE"
	case "MUTABLE", "IMMUTABLE":
	default:
		return nil, awsjson.Errorf("InvalidParameterException", "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE]'")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.repos[r.Region]
	if m == nil {
		m = map[string]*repo{}
		s.repos[r.Region] = m
	}
	if m[in.RepositoryName] != nil {
		return nil, awsjson.Errorf("RepositoryAlreadyExistsException", "The repository with name '%s' already exists in the registry with id '%s'", in.RepositoryName, s.srv.Account)
	}
	rp := &repo{name: in.RepositoryName, created: s.srv.Clock.Now().UTC(), mutability: mut}
	m[in.RepositoryName] = rp
	return map[string]any{"repository": s.repoOut(r.Region, rp)}, nil
}

func (s *Service) describeRepositories(r *awsemu.Request) (any, error) {
	var in struct {
		RepositoryNames []string `json:"repositoryNames"`
		MaxResults      *int     `json:"maxResults"`
		NextToken       string   `json:"nextToken"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.repos[r.Region]
	var names []string
	if len(in.RepositoryNames) > 0 {
		for _, n := range in.RepositoryNames {
			if m[n] == nil {
				return nil, notFound(n, s.srv.Account)
			}
			names = append(names, n)
		}
	} else {
		for n := range m {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	all := make([]repoOut, 0, len(names))
	for _, n := range names {
		all = append(all, s.repoOut(r.Region, m[n]))
	}
	return pageOut("repositories", all, in.NextToken, in.MaxResults)
}

func (s *Service) deleteRepository(r *awsemu.Request) (any, error) {
	var in struct {
		RepositoryName string `json:"repositoryName"`
		Force          bool   `json:"force"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, err := s.repo(r.Region, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if len(rp.images) > 0 && !in.Force {
		return nil, awsjson.Errorf("RepositoryNotEmptyException", "The repository with name '%s' in registry with id '%s' cannot be deleted because it still contains images", in.RepositoryName, s.srv.Account)
	}
	out := s.repoOut(r.Region, rp)
	delete(s.repos[r.Region], in.RepositoryName)
	return map[string]any{"repository": out}, nil
}

// manifestSize sums a manifest's layer sizes; an index sums nothing it cannot see.
func manifestSize(manifest string) (int64, string, error) {
	var m struct {
		MediaType string `json:"mediaType"`
		Layers    []struct {
			Size int64 `json:"size"`
		} `json:"layers"`
	}
	if err := json.Unmarshal([]byte(manifest), &m); err != nil {
		return 0, "", err
	}
	var n int64
	for _, l := range m.Layers {
		n += l.Size
	}
	return n, m.MediaType, nil
}

func imageIDOut(img *image, tag string) map[string]string {
	id := map[string]string{"imageDigest": img.digest}
	if tag != "" {
		id["imageTag"] = tag
	}
	return id
}

func (s *Service) putImage(r *awsemu.Request) (any, error) {
	var in struct {
		RepositoryName         string `json:"repositoryName"`
		ImageManifest          string `json:"imageManifest"`
		ImageManifestMediaType string `json:"imageManifestMediaType"`
		ImageTag               string `json:"imageTag"`
		ImageDigest            string `json:"imageDigest"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	size, mediaType, err := manifestSize(in.ImageManifest)
	if err != nil {
		return nil, awsjson.Errorf("InvalidParameterException", "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'")
	}
	if in.ImageManifestMediaType != "" {
		mediaType = in.ImageManifestMediaType
	}
	if mediaType == "" {
		mediaType = "application/vnd.docker.distribution.manifest.v2+json"
	}
	sum := sha256.Sum256([]byte(in.ImageManifest))
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if in.ImageDigest != "" && in.ImageDigest != digest {
		return nil, awsjson.Errorf("ImageDigestDoesNotMatchException", "Invalid parameter at 'imageDigest' failed to satisfy constraint: 'The provided digest does not match the digest of the manifest'")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, err := s.repo(r.Region, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	var img *image
	for _, i := range rp.images {
		if i.digest == digest {
			img = i
		}
	}
	if in.ImageTag != "" {
		for _, other := range rp.images {
			for ti, t := range other.tags {
				if t != in.ImageTag {
					continue
				}
				if other == img {
					return nil, awsjson.Errorf("ImageAlreadyExistsException", "Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'", digest, in.ImageTag, rp.name, s.srv.Account)
				}
				if rp.mutability == "IMMUTABLE" {
					return nil, awsjson.Errorf("ImageTagAlreadyExistsException", "The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", in.ImageTag, rp.name)
				}
				other.tags = append(other.tags[:ti], other.tags[ti+1:]...)
				break
			}
		}
	}
	if img == nil {
		img = &image{digest: digest, manifest: in.ImageManifest, mediaType: mediaType, size: size, pushed: s.srv.Clock.Now().UTC()}
		rp.images = append(rp.images, img)
	} else if in.ImageTag == "" {
		return nil, awsjson.Errorf("ImageAlreadyExistsException", "Image with digest '%s' and tag 'null' already exists in the repository with name '%s' in registry with id '%s'", digest, rp.name, s.srv.Account)
	}
	if in.ImageTag != "" {
		img.tags = append(img.tags, in.ImageTag)
	}
	return map[string]any{"image": map[string]any{
		"registryId": s.srv.Account, "repositoryName": rp.name, "imageId": imageIDOut(img, in.ImageTag),
		"imageManifest": img.manifest, "imageManifestMediaType": img.mediaType,
	}}, nil
}

type imageIDIn struct {
	ImageDigest string `json:"imageDigest"`
	ImageTag    string `json:"imageTag"`
}

// find returns the image an id names. Callers hold s.mu.
func (rp *repo) find(id imageIDIn) *image {
	for _, img := range rp.images {
		if id.ImageDigest != "" && img.digest != id.ImageDigest {
			continue
		}
		if id.ImageTag != "" {
			found := false
			for _, t := range img.tags {
				found = found || t == id.ImageTag
			}
			if !found {
				continue
			}
		}
		if id.ImageDigest == "" && id.ImageTag == "" {
			continue
		}
		return img
	}
	return nil
}

func describeID(id imageIDIn) string {
	d, t := "'null'", "'null'"
	if id.ImageDigest != "" {
		d = "'" + id.ImageDigest + "'"
	}
	if id.ImageTag != "" {
		t = "'" + id.ImageTag + "'"
	}
	return "{imageDigest:" + d + ", imageTag:" + t + "}"
}

type imageDetail struct {
	RegistryID             string        `json:"registryId"`
	RepositoryName         string        `json:"repositoryName"`
	ImageDigest            string        `json:"imageDigest"`
	ImageTags              []string      `json:"imageTags,omitempty"`
	ImageSizeInBytes       int64         `json:"imageSizeInBytes"`
	ImagePushedAt          *awsjson.Time `json:"imagePushedAt"`
	ImageManifestMediaType string        `json:"imageManifestMediaType"`
	ArtifactMediaType      string        `json:"artifactMediaType,omitempty"`
}

func (s *Service) describeImages(r *awsemu.Request) (any, error) {
	var in struct {
		RepositoryName string      `json:"repositoryName"`
		RegistryID     string      `json:"registryId"`
		ImageIDs       []imageIDIn `json:"imageIds"`
		Filter         *struct {
			TagStatus string `json:"tagStatus"`
		} `json:"filter"`
		MaxResults *int   `json:"maxResults"`
		NextToken  string `json:"nextToken"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	registry, err := s.registry(in.RegistryID)
	if err != nil {
		return nil, err
	}
	if len(in.ImageIDs) > 0 && (in.MaxResults != nil || in.NextToken != "") {
		return nil, awsjson.Errorf("InvalidParameterException", "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Cannot specify maxResults or nextToken when imageIds are specified'")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rp := s.repos[r.Region][in.RepositoryName]
	if rp == nil || registry != s.srv.Account {
		return nil, notFound(in.RepositoryName, registry)
	}
	var imgs []*image
	if len(in.ImageIDs) > 0 {
		for _, id := range in.ImageIDs {
			img := rp.find(id)
			if img == nil {
				return nil, awsjson.Errorf("ImageNotFoundException", "The image with imageId %s does not exist within the repository with name '%s' in the registry with id '%s'", describeID(id), rp.name, registry)
			}
			imgs = append(imgs, img)
		}
	} else {
		status := "ANY"
		if in.Filter != nil && in.Filter.TagStatus != "" {
			status = in.Filter.TagStatus
		}
		for _, img := range rp.images {
			if status == "TAGGED" && len(img.tags) == 0 || status == "UNTAGGED" && len(img.tags) > 0 {
				continue
			}
			imgs = append(imgs, img)
		}
	}
	all := make([]imageDetail, 0, len(imgs))
	for _, img := range imgs {
		all = append(all, imageDetail{
			RegistryID: registry, RepositoryName: rp.name, ImageDigest: img.digest,
			ImageTags: append([]string(nil), img.tags...), ImageSizeInBytes: img.size,
			ImagePushedAt: awsjson.TimePtr(img.pushed), ImageManifestMediaType: img.mediaType,
		})
	}
	return pageOut("imageDetails", all, in.NextToken, in.MaxResults)
}

func (s *Service) batchDeleteImage(r *awsemu.Request) (any, error) {
	var in struct {
		RepositoryName string      `json:"repositoryName"`
		ImageIDs       []imageIDIn `json:"imageIds"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, err := s.repo(r.Region, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	deleted, failures := []map[string]string{}, []map[string]any{}
	for _, id := range in.ImageIDs {
		img := rp.find(id)
		if img == nil {
			failures = append(failures, map[string]any{"imageId": id, "failureCode": "ImageNotFound", "failureReason": "Requested image not found"})
			continue
		}
		if id.ImageTag != "" && len(img.tags) > 1 {
			for i, t := range img.tags {
				if t == id.ImageTag {
					img.tags = append(img.tags[:i], img.tags[i+1:]...)
					break
				}
			}
			deleted = append(deleted, imageIDOut(img, id.ImageTag))
			continue
		}
		for i, x := range rp.images {
			if x == img {
				rp.images = append(rp.images[:i], rp.images[i+1:]...)
				break
			}
		}
		for _, t := range img.tags {
			deleted = append(deleted, imageIDOut(img, t))
		}
		if len(img.tags) == 0 {
			deleted = append(deleted, imageIDOut(img, ""))
		}
	}
	return map[string]any{"imageIds": deleted, "failures": failures}, nil
}

// pageOut is a listing's answer: the page of all under key, and nextToken when there is
// a next page.
func pageOut[T any](key string, all []T, tok string, maxResults *int) (any, error) {
	items, next, err := page(all, tok, maxResults)
	if err != nil {
		return nil, err
	}
	out := map[string]any{key: items}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// repo returns the caller's repository called name in region. Callers hold s.mu.
func (s *Service) repo(region, name string) (*repo, error) {
	rp := s.repos[region][name]
	if rp == nil {
		return nil, notFound(name, s.srv.Account)
	}
	return rp, nil
}

// page cuts items by nextToken (an offset) and maxResults (1..1000, default 100).
func page[T any](items []T, tok string, maxResults *int) ([]T, string, error) {
	off := 0
	if tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		rest, ok := strings.CutPrefix(string(b), "awsemu-offset:")
		n, aerr := strconv.Atoi(rest)
		if err != nil || !ok || aerr != nil || n < 0 {
			return nil, "", awsjson.Errorf("InvalidParameterException", "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid token'")
		}
		off = n
	}
	max := 100
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > 1000 {
			return nil, "", awsjson.Errorf("InvalidParameterException", "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'")
		}
		max = *maxResults
	}
	if off > len(items) {
		off = len(items)
	}
	end := off + max
	if end >= len(items) {
		return items[off:], "", nil
	}
	return items[off:end], base64.RawURLEncoding.EncodeToString([]byte("awsemu-offset:" + strconv.Itoa(end))), nil
}
