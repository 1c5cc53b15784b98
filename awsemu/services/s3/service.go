package s3

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/winami/winami/awsemu"
)

// Namespace is the xmlns of S3's documents.
const Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// bucketKind is the global namespace bucket names live in.
const bucketKind = "s3-bucket"

// Service is the S3 service of one account's world.
type Service struct {
	srv     *awsemu.Server
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	name, region string
	created      time.Time
	objects      map[string]*object
}

type object struct {
	key          string
	body         []byte
	etag         string
	contentType  string
	modified     time.Time
	owner        string
	userMetadata http.Header
}

// New returns the S3 service, registers it on srv and makes it srv.S3.
func New(srv *awsemu.Server) *Service {
	s := &Service{srv: srv, buckets: map[string]*bucket{}}
	srv.Register(s)
	srv.S3 = s
	return s
}

// Name is the SigV4 signing name, "s3".
func (s *Service) Name() string { return "s3" }

// Throttle is S3's throttling answer: 503 SlowDown.
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
func (s *Service) Throttle() (int, string) { return http.StatusServiceUnavailable, "SlowDown" }

// target splits a path-style request into bucket and key (the key unescaped).
func target(r *awsemu.Request) (bucketName, key string) {
	p := strings.TrimPrefix(r.HTTP.URL.Path, "/")
	bucketName, key, _ = strings.Cut(p, "/")
	return bucketName, key
}

// Operation names the operation from the method, the path and the query.
func (s *Service) Operation(r *awsemu.Request) string {
	b, k := target(r)
	q := r.HTTP.URL.Query()
	switch {
	case b == "":
		if r.HTTP.Method == http.MethodGet {
			return "ListBuckets"
		}
	case k == "":
		switch r.HTTP.Method {
		case http.MethodPut:
			return "CreateBucket"
		case http.MethodHead:
			return "HeadBucket"
		case http.MethodDelete:
			return "DeleteBucket"
		case http.MethodGet:
			switch {
			case q.Has("location"):
				return "GetBucketLocation"
			case q.Get("list-type") == "2":
				return "ListObjectsV2"
			case len(q) == 0 || q.Has("prefix") || q.Has("delimiter") || q.Has("marker") || q.Has("max-keys") || q.Has("encoding-type"):
				return "ListObjects"
			}
		}
	default:
		switch r.HTTP.Method {
		case http.MethodPut:
			if r.HTTP.Header.Get("x-amz-copy-source") != "" {
				return "CopyObject"
			}
			return "PutObject"
		case http.MethodGet:
			return "GetObject"
		case http.MethodHead:
			return "HeadObject"
		case http.MethodDelete:
			return "DeleteObject"
		}
	}
	return ""
}

// apiError is an S3 error: status, code, message and extra elements (BucketName, Key…).
type apiError struct {
	status        int
	code, message string
	extra         [][2]string
}

// The error codes and messages of S3.
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
func noSuchBucket(name string) *apiError {
	return &apiError{http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", [][2]string{{"BucketName", name}}}
}

func noSuchKey(key string) *apiError {
	return &apiError{http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", [][2]string{{"Key", key}}}
}

func accessDenied() *apiError {
	return &apiError{http.StatusForbidden, "AccessDenied", "Access Denied", nil}
}

// WriteError writes S3's error document:
// <Error><Code/><Message/>…<RequestId/><HostId/></Error>.
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#RESTErrorResponses
func (s *Service) WriteError(w http.ResponseWriter, r *awsemu.Request, status int, code, message string) {
	writeErr(w, r, &apiError{status: status, code: code, message: message})
}

func writeErr(w http.ResponseWriter, r *awsemu.Request, e *apiError) {
	w.Header().Set("x-amz-request-id", r.ID)
	if r.HTTP.Method == http.MethodHead {
		// A HEAD answer has no body: the SDKs read the status alone.
		w.WriteHeader(e.status)
		return
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<Error><Code>" + esc(e.code) + "</Code><Message>" + esc(e.message) + "</Message>")
	for _, kv := range e.extra {
		b.WriteString("<" + kv[0] + ">" + esc(kv[1]) + "</" + kv[0] + ">")
	}
	b.WriteString("<RequestId>" + esc(r.ID) + "</RequestId><HostId>" + esc(hostID(r.ID)) + "</HostId></Error>")
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(e.status)
	_, _ = w.Write(b.Bytes())
}

func hostID(id string) string {
	sum := md5.Sum([]byte(id))
	return hex.EncodeToString(sum[:])
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func writeXML(w http.ResponseWriter, r *awsemu.Request, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		writeErr(w, r, &apiError{http.StatusInternalServerError, "InternalError", "encoding response: " + err.Error(), nil})
		return
	}
	body = append([]byte(xml.Header), body...)
	w.Header().Set("x-amz-request-id", r.ID)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// Serve answers one request.
func (s *Service) Serve(w http.ResponseWriter, r *awsemu.Request, op string) {
	handlers := map[string]func(http.ResponseWriter, *awsemu.Request) *apiError{
		"ListBuckets": s.listBuckets, "CreateBucket": s.createBucket, "HeadBucket": s.headBucket,
		"DeleteBucket": s.deleteBucket, "GetBucketLocation": s.getBucketLocation, "ListObjectsV2": s.listObjectsV2,
		"PutObject": s.putObject, "GetObject": s.getObject, "HeadObject": s.getObject, "DeleteObject": s.deleteObject,
	}
	h := handlers[op]
	if h == nil {
		writeErr(w, r, &apiError{http.StatusNotImplemented, "NotImplemented", "A header or query you provided implies functionality that is not implemented.", nil})
		return
	}
	if e := h(w, r); e != nil {
		writeErr(w, r, e)
	}
}

// authorize checks the caller's IAM policies for an S3 action on resource (same account;
// another account's bucket was refused before).
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
func (s *Service) authorize(r *awsemu.Request, action, resource string) *apiError {
	if s.srv.IAM == nil {
		return nil
	}
	if ok, _ := s.srv.IAM.Authorize(s.srv.PrincipalOf(r), action, resource, nil); !ok {
		return accessDenied()
	}
	return nil
}

// bucketOf returns the account's bucket, NoSuchBucket when no account has it, and
// AccessDenied when another account owns it. Callers hold s.mu.
func (s *Service) bucketOf(name string) (*bucket, *apiError) {
	if b := s.buckets[name]; b != nil {
		return b, nil
	}
	if owner, ok := s.srv.GlobalNameOwner(bucketKind, name); ok && owner != s.srv.Account {
		return nil, accessDenied()
	}
	return nil, noSuchBucket(name)
}

var bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// validBucketName applies the general purpose bucket naming rules: 3..63 characters of
// lower-case letters, digits, dots and hyphens, beginning and ending with a letter or digit,
// no two adjacent periods, not an IP address, not starting xn--, sthree-, amzn-s3-demo-,
// not ending -s3alias, --ol-s3, .mrap or --x-s3.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
func validBucketName(n string) bool {
	if !bucketNameRE.MatchString(n) || strings.Contains(n, "..") || net.ParseIP(n) != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(n, p) {
			return false
		}
	}
	for _, suf := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3"} {
		if strings.HasSuffix(n, suf) {
			return false
		}
	}
	return true
}

func (s *Service) listBuckets(w http.ResponseWriter, r *awsemu.Request) *apiError {
	if e := s.authorize(r, "s3:ListAllMyBuckets", "*"); e != nil {
		return e
	}
	type bucketXML struct {
		Name         string `xml:"Name"`
		CreationDate string `xml:"CreationDate"`
		BucketRegion string `xml:"BucketRegion"`
	}
	out := struct {
		XMLName xml.Name `xml:"ListAllMyBucketsResult"`
		Xmlns   string   `xml:"xmlns,attr"`
		Owner   struct {
			ID string `xml:"ID"`
		} `xml:"Owner"`
		Buckets []bucketXML `xml:"Buckets>Bucket"`
	}{Xmlns: Namespace}
	out.Owner.ID = canonicalID(s.srv.Account)
	s.mu.Lock()
	for _, b := range s.buckets {
		out.Buckets = append(out.Buckets, bucketXML{Name: b.name, CreationDate: b.created.Format("2006-01-02T15:04:05.000Z"), BucketRegion: b.region})
	}
	s.mu.Unlock()
	sort.Slice(out.Buckets, func(i, j int) bool { return out.Buckets[i].Name < out.Buckets[j].Name })
	writeXML(w, r, out)
	return nil
}

// canonicalID is the account's canonical user id (64 hex digits).
func canonicalID(account string) string {
	sum := md5.Sum([]byte("canonical/" + account))
	h := hex.EncodeToString(sum[:])
	return h + h
}

// createBucket creates a bucket in the region the request was signed for. The
// LocationConstraint must name that region, except in us-east-1, where it must be absent.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
func (s *Service) createBucket(w http.ResponseWriter, r *awsemu.Request) *apiError {
	name, _ := target(r)
	if !validBucketName(name) {
		return &apiError{http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.", [][2]string{{"BucketName", name}}}
	}
	var cfg struct {
		LocationConstraint string `xml:"LocationConstraint"`
	}
	if len(bytes.TrimSpace(r.Body)) > 0 {
		if err := xml.Unmarshal(r.Body, &cfg); err != nil {
			return &apiError{http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", nil}
		}
	}
	lc := cfg.LocationConstraint
	switch {
	case lc == "" && r.Region != "us-east-1":
		return &apiError{http.StatusBadRequest, "IllegalLocationConstraintException", "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.", nil}
	case lc == "us-east-1":
		return &apiError{http.StatusBadRequest, "InvalidLocationConstraint", "The specified location-constraint is not valid", [][2]string{{"LocationConstraint", lc}}}
	case lc != "" && lc != r.Region:
		return &apiError{http.StatusBadRequest, "IllegalLocationConstraintException", "The " + lc + " location constraint is incompatible for the region specific endpoint this request was sent to.", nil}
	}
	if e := s.authorize(r, "s3:CreateBucket", "arn:aws:s3:::"+name); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	owner, ours := s.srv.ClaimGlobalName(bucketKind, name)
	if !ours {
		_ = owner
		return &apiError{http.StatusConflict, "BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.", [][2]string{{"BucketName", name}}}
	}
	if b := s.buckets[name]; b != nil {
		// us-east-1 answers 200 to the owner re-creating a bucket there (legacy behaviour);
		// other regions answer BucketAlreadyOwnedByYou.
		if b.region == "us-east-1" && r.Region == "us-east-1" {
			w.Header().Set("Location", "/"+name)
			w.Header().Set("x-amz-request-id", r.ID)
			w.WriteHeader(http.StatusOK)
			return nil
		}
		return &apiError{http.StatusConflict, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", [][2]string{{"BucketName", name}}}
	}
	s.buckets[name] = &bucket{name: name, region: r.Region, created: s.srv.Clock.Now().UTC(), objects: map[string]*object{}}
	w.Header().Set("Location", "/"+name)
	w.Header().Set("x-amz-request-id", r.ID)
	w.WriteHeader(http.StatusOK)
	return nil
}

// authorizedBucket finds the bucket a request names and checks that the caller may call
// action on it (resource the bucket's ARN followed by suffix, "/key" for an object).
func (s *Service) authorizedBucket(r *awsemu.Request, name, action, suffix string) (*bucket, *apiError) {
	s.mu.Lock()
	b, e := s.bucketOf(name)
	s.mu.Unlock()
	if e != nil {
		return nil, e
	}
	if e := s.authorize(r, action, "arn:aws:s3:::"+name+suffix); e != nil {
		return nil, e
	}
	return b, nil
}

// headBucket answers 200 with the bucket's region, 404 or 403 without a body.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
func (s *Service) headBucket(w http.ResponseWriter, r *awsemu.Request) *apiError {
	name, _ := target(r)
	b, e := s.authorizedBucket(r, name, "s3:ListBucket", "")
	if e != nil {
		return e
	}
	if b.region != r.Region {
		return wrongRegion(w, b)
	}
	w.Header().Set("x-amz-bucket-region", b.region)
	w.Header().Set("x-amz-request-id", r.ID)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) deleteBucket(w http.ResponseWriter, r *awsemu.Request) *apiError {
	name, _ := target(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := s.bucketOf(name)
	if e != nil {
		return e
	}
	if e := s.authorize(r, "s3:DeleteBucket", "arn:aws:s3:::"+name); e != nil {
		return e
	}
	if len(b.objects) > 0 {
		return &apiError{http.StatusConflict, "BucketNotEmpty", "The bucket you tried to delete is not empty", [][2]string{{"BucketName", name}}}
	}
	delete(s.buckets, name)
	s.srv.ReleaseGlobalName(bucketKind, name)
	w.Header().Set("x-amz-request-id", r.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getBucketLocation answers the bucket's LocationConstraint: empty for us-east-1.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
func (s *Service) getBucketLocation(w http.ResponseWriter, r *awsemu.Request) *apiError {
	name, _ := target(r)
	b, e := s.authorizedBucket(r, name, "s3:GetBucketLocation", "")
	if e != nil {
		return e
	}
	lc := b.region
	if lc == "us-east-1" {
		lc = ""
	}
	writeXML(w, r, struct {
		XMLName xml.Name `xml:"LocationConstraint"`
		Xmlns   string   `xml:"xmlns,attr"`
		Value   string   `xml:",chardata"`
	}{Xmlns: Namespace, Value: lc})
	return nil
}

// wrongRegion is S3's answer to a request signed for another region than the bucket's
// (HeadBucket's has no body; the x-amz-bucket-region header names the bucket's region).
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
func wrongRegion(w http.ResponseWriter, b *bucket) *apiError {
	w.Header().Set("x-amz-bucket-region", b.region)
	return &apiError{http.StatusMovedPermanently, "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.", [][2]string{{"Bucket", b.name}, {"Endpoint", "s3." + b.region + ".amazonaws.com"}}}
}

func (s *Service) putObject(w http.ResponseWriter, r *awsemu.Request) *apiError {
	name, k := target(r)
	body, err := decodeBody(r)
	if err != nil {
		return &apiError{http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.", nil}
	}
	if want := r.HTTP.Header.Get("Content-MD5"); want != "" {
		sum := md5.Sum(body)
		if want != b64(sum[:]) {
			return &apiError{http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.", nil}
		}
	}
	s.mu.Lock()
	b, e := s.bucketOf(name)
	if e == nil && b.region != r.Region {
		e = wrongRegion(w, b)
	}
	s.mu.Unlock()
	if e != nil {
		return e
	}
	if e := s.authorize(r, "s3:PutObject", "arn:aws:s3:::"+name+"/"+k); e != nil {
		return e
	}
	o := s.store(b, k, body, s.srv.PrincipalOf(r))
	o.contentType = r.HTTP.Header.Get("Content-Type")
	meta := http.Header{}
	for h, v := range r.HTTP.Header {
		if strings.HasPrefix(strings.ToLower(h), "x-amz-meta-") {
			meta[h] = v
		}
	}
	o.userMetadata = meta
	w.Header().Set("ETag", o.etag)
	w.Header().Set("x-amz-request-id", r.ID)
	w.WriteHeader(http.StatusOK)
	return nil
}

// store writes an object.
func (s *Service) store(b *bucket, key string, body []byte, owner string) *object {
	sum := md5.Sum(body)
	o := &object{key: key, body: append([]byte(nil), body...), etag: `"` + hex.EncodeToString(sum[:]) + `"`,
		modified: s.srv.Clock.Now().UTC().Truncate(time.Second), owner: owner, contentType: "binary/octet-stream"}
	s.mu.Lock()
	b.objects[key] = o
	s.mu.Unlock()
	return o
}

func (s *Service) getObject(w http.ResponseWriter, r *awsemu.Request) *apiError {
	name, k := target(r)
	s.mu.Lock()
	b, e := s.bucketOf(name)
	var o *object
	if e == nil {
		if b.region != r.Region {
			e = wrongRegion(w, b)
		} else {
			o = b.objects[k]
		}
	}
	s.mu.Unlock()
	if e != nil {
		return e
	}
	if e := s.authorize(r, "s3:GetObject", "arn:aws:s3:::"+name+"/"+k); e != nil {
		return e
	}
	if o == nil {
		return noSuchKey(k)
	}
	h := w.Header()
	h.Set("x-amz-request-id", r.ID)
	h.Set("ETag", o.etag)
	h.Set("Last-Modified", o.modified.Format(http.TimeFormat))
	h.Set("Content-Type", o.contentType)
	h.Set("Content-Length", strconv.Itoa(len(o.body)))
	h.Set("Accept-Ranges", "bytes")
	for k, v := range o.userMetadata {
		h[k] = v
	}
	w.WriteHeader(http.StatusOK)
	if r.HTTP.Method != http.MethodHead {
		_, _ = w.Write(o.body)
	}
	return nil
}

// deleteObject answers 204 whether or not the key existed, as S3 does without versioning.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
func (s *Service) deleteObject(w http.ResponseWriter, r *awsemu.Request) *apiError {
	name, k := target(r)
	s.mu.Lock()
	b, e := s.bucketOf(name)
	s.mu.Unlock()
	if e != nil {
		return e
	}
	if e := s.authorize(r, "s3:DeleteObject", "arn:aws:s3:::"+name+"/"+k); e != nil {
		return e
	}
	s.mu.Lock()
	delete(b.objects, k)
	s.mu.Unlock()
	w.Header().Set("x-amz-request-id", r.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type contentXML struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int    `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

type prefixXML struct {
	Prefix string `xml:"Prefix"`
}

// listObjectsV2 lists keys in UTF-8 binary order: Prefix, Delimiter (common prefixes count
// against MaxKeys), MaxKeys (default and most 1000), ContinuationToken, StartAfter,
// EncodingType=url (keys and prefixes percent-encoded, as the AWS CLI asks).
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
func (s *Service) listObjectsV2(w http.ResponseWriter, r *awsemu.Request) *apiError {
	name, _ := target(r)
	q := r.HTTP.URL.Query()
	prefix, delim, token, startAfter, enc := q.Get("prefix"), q.Get("delimiter"), q.Get("continuation-token"), q.Get("start-after"), q.Get("encoding-type")
	maxKeys := 1000
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return &apiError{http.StatusBadRequest, "InvalidArgument", "Provided max-keys not an integer or within integer range", [][2]string{{"ArgumentName", "max-keys"}, {"ArgumentValue", v}}}
		}
		maxKeys = min(n, 1000)
	}
	if enc != "" && enc != "url" {
		return &apiError{http.StatusBadRequest, "InvalidArgument", "Invalid Encoding Method specified in Request", [][2]string{{"ArgumentName", "encoding-type"}, {"ArgumentValue", enc}}}
	}
	after := startAfter
	if token != "" {
		raw, err := hex.DecodeString(token)
		if err != nil {
			return &apiError{http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect", [][2]string{{"ArgumentName", "continuation-token"}}}
		}
		after = string(raw)
	}
	s.mu.Lock()
	b, e := s.bucketOf(name)
	var keys []string
	objs := map[string]*object{}
	if e == nil && b.region != r.Region {
		e = wrongRegion(w, b)
	}
	if e == nil {
		for k, o := range b.objects {
			if strings.HasPrefix(k, prefix) && k > after {
				keys = append(keys, k)
				objs[k] = o
			}
		}
	}
	s.mu.Unlock()
	if e != nil {
		return e
	}
	if e := s.authorize(r, "s3:ListBucket", "arn:aws:s3:::"+name); e != nil {
		return e
	}
	sort.Strings(keys)
	encode := func(v string) string {
		if enc == "url" {
			return strings.ReplaceAll(url.QueryEscape(v), "+", "%20")
		}
		return v
	}
	var contents []contentXML
	var prefixes []prefixXML
	seen := map[string]bool{}
	count, truncated, last := 0, false, ""
	for _, k := range keys {
		entry, isPrefix := k, false
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				entry, isPrefix = k[:len(prefix)+i+len(delim)], true
			}
		}
		if isPrefix && seen[entry] {
			continue
		}
		if count == maxKeys {
			truncated = true
			break
		}
		count++
		if isPrefix {
			seen[entry] = true
			prefixes = append(prefixes, prefixXML{encode(entry)})
			// Continue after every key under the prefix.
			last = entry + "\U0010FFFF"
			continue
		}
		o := objs[k]
		contents = append(contents, contentXML{Key: encode(k), LastModified: o.modified.Format("2006-01-02T15:04:05.000Z"), ETag: o.etag, Size: len(o.body), StorageClass: "STANDARD"})
		last = k
	}
	out := struct {
		XMLName               xml.Name     `xml:"ListBucketResult"`
		Xmlns                 string       `xml:"xmlns,attr"`
		Name                  string       `xml:"Name"`
		Prefix                string       `xml:"Prefix"`
		Delimiter             string       `xml:"Delimiter,omitempty"`
		MaxKeys               int          `xml:"MaxKeys"`
		EncodingType          string       `xml:"EncodingType,omitempty"`
		KeyCount              int          `xml:"KeyCount"`
		IsTruncated           bool         `xml:"IsTruncated"`
		ContinuationToken     string       `xml:"ContinuationToken,omitempty"`
		NextContinuationToken string       `xml:"NextContinuationToken,omitempty"`
		StartAfter            string       `xml:"StartAfter,omitempty"`
		Contents              []contentXML `xml:"Contents"`
		CommonPrefixes        []prefixXML  `xml:"CommonPrefixes"`
	}{Xmlns: Namespace, Name: name, Prefix: encode(prefix), Delimiter: encode(delim), MaxKeys: maxKeys, EncodingType: enc,
		KeyCount: count, IsTruncated: truncated, ContinuationToken: token, StartAfter: encode(startAfter),
		Contents: contents, CommonPrefixes: prefixes}
	if truncated {
		out.NextContinuationToken = hex.EncodeToString([]byte(last))
	}
	writeXML(w, r, out)
	return nil
}

// decodeBody returns the object's bytes: the body itself, or the payload of an aws-chunked
// body (SigV4 streaming: "<hex size>[;chunk-signature=…]\r\n<data>\r\n" … "0…\r\n" then
// trailers), which the SDKs send with x-amz-content-sha256 STREAMING-… and
// Content-Encoding aws-chunked.
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
func decodeBody(r *awsemu.Request) ([]byte, error) {
	sha := r.HTTP.Header.Get("x-amz-content-sha256")
	if !strings.HasPrefix(sha, "STREAMING-") && !strings.Contains(r.HTTP.Header.Get("Content-Encoding"), "aws-chunked") {
		return r.Body, nil
	}
	var out []byte
	rest := r.Body
	for {
		line, after, ok := bytes.Cut(rest, []byte("\r\n"))
		if !ok {
			return nil, fmt.Errorf("decoding aws-chunked body: no chunk header")
		}
		sizeHex, _, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(sizeHex)), 16, 64)
		if err != nil || n < 0 || int64(len(after)) < n {
			return nil, fmt.Errorf("decoding aws-chunked body: bad chunk size %q", line)
		}
		if n == 0 {
			return out, nil
		}
		out = append(out, after[:n]...)
		rest = bytes.TrimPrefix(after[n:], []byte("\r\n"))
	}
}
