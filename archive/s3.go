package archive

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Addressing is how requests name the bucket: in the host name (virtual,
// AWS' way), in the path (path, most S3-compatible servers), or chosen
// from the endpoint (auto).
type Addressing string

const (
	AddressingAuto    Addressing = "auto"
	AddressingPath    Addressing = "path"
	AddressingVirtual Addressing = "virtual"
)

// S3Config reaches an S3-compatible bucket. Empty fields come from the
// usual AWS variables: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION
// or AWS_DEFAULT_REGION, and the credentials of AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN), ~/.aws/credentials
// (AWS_PROFILE) or the instance's IAM role, in that order.
type S3Config struct {
	Bucket     string
	Prefix     string
	Endpoint   string // URL, http:// or https://; default AWS
	Region     string
	Addressing Addressing
	// AccessKey and SecretKey, when set, are used instead of the chain.
	AccessKey, SecretKey string
}

// S3 is a Bucket in S3, below a prefix.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string // "" or ending in "/"
	spool  string
	desc   string
}

// NewS3 returns the Bucket cfg names; spool is a local folder for files
// being written before their upload.
func NewS3(cfg S3Config, spool string) (*S3, error) {
	endpoint := cfg.Endpoint
	for _, v := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"} {
		if endpoint == "" {
			endpoint = os.Getenv(v)
		}
	}
	if endpoint == "" {
		endpoint = "https://s3.amazonaws.com"
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("S3 endpoint %q: want http(s)://host[:port]", endpoint)
	}
	region := cfg.Region
	for _, v := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if region == "" {
			region = os.Getenv(v)
		}
	}
	creds := credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{}, &credentials.FileAWSCredentials{}, &credentials.IAM{},
	})
	if cfg.AccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	}
	lookup := map[Addressing]minio.BucketLookupType{
		AddressingAuto: minio.BucketLookupAuto, "": minio.BucketLookupAuto,
		AddressingPath: minio.BucketLookupPath, AddressingVirtual: minio.BucketLookupDNS,
	}
	l, ok := lookup[cfg.Addressing]
	if !ok {
		return nil, fmt.Errorf("S3 addressing %q: want auto, path or virtual", cfg.Addressing)
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds: creds, Secure: u.Scheme == "https", Region: region, BucketLookup: l,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 client: %w", err)
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	if err := os.MkdirAll(spool, 0o750); err != nil {
		return nil, fmt.Errorf("archive spool folder: %w", err)
	}
	return &S3{client: client, bucket: cfg.Bucket, prefix: prefix, spool: spool,
		desc: "s3://" + cfg.Bucket + "/" + prefix + " at " + u.Host}, nil
}

// ParseS3URL reads s3://bucket/prefix.
func ParseS3URL(s string) (bucket, prefix string, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return "", "", fmt.Errorf("archive URL %q: want s3://bucket/prefix", s)
	}
	return u.Host, strings.Trim(u.Path, "/"), nil
}

func (s *S3) Dir() string    { return "" }
func (s *S3) String() string { return s.desc }

func (s *S3) SpoolDir(string) (string, error) { return s.spool, nil }

// Publish uploads src (in parts when large: the object appears only when
// the upload completes) and removes it.
func (s *S3) Publish(ctx context.Context, src, key string) error {
	_, err := s.client.FPutObject(ctx, s.bucket, s.prefix+key, src, minio.PutObjectOptions{
		ContentType: contentType(key),
	})
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	return os.Remove(src)
}

func contentType(key string) string {
	if strings.HasSuffix(key, ".json") {
		return "application/json"
	}
	return "application/vnd.apache.parquet"
}

func (s *S3) Read(ctx context.Context, key string) ([]byte, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.notExist(key, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if err != nil {
		return nil, s.notExist(key, err)
	}
	return b, nil
}

func (s *S3) Fetch(ctx context.Context, key, dst string) error {
	return s.notExist(key, s.client.FGetObject(ctx, s.bucket, s.prefix+key, dst, minio.GetObjectOptions{}))
}

func (s *S3) notExist(key string, err error) error {
	if err != nil && minio.ToErrorResponse(err).StatusCode == http.StatusNotFound {
		return fmt.Errorf("%s: %w", key, fs.ErrNotExist)
	}
	return err
}

func (s *S3) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, obj.Err)
		}
		keys = append(keys, strings.TrimPrefix(obj.Key, s.prefix))
	}
	return keys, nil
}

func (s *S3) Remove(ctx context.Context, key string) error {
	return s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{})
}
