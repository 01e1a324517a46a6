"""The S3 API of fnkit-local driven by boto3, which we did not write: every operation the emulator
serves, S3's typed errors, and a PutObject firing the storage function with the eTag PutObject
answered. Run by scripts/check-boto3.sh with the emulator's URL and the fixtures' output file.
"""
import hashlib
import os
import sys
import time

from awscheck import check, client, done, error_code

base, fixture_out = sys.argv[1], sys.argv[2]
s3 = client("s3", base, s3={"addressing_style": "path"})


# Buckets.
names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
check("uploads" in names, f"ListBuckets has the trigger's bucket: {names}")
s3.create_bucket(Bucket="scratch")
check(s3.head_bucket(Bucket="scratch")["ResponseMetadata"]["HTTPStatusCode"] == 200, "CreateBucket, then HeadBucket")
check(error_code(lambda: s3.create_bucket(Bucket="scratch")) == "BucketAlreadyOwnedByYou", "CreateBucket twice: BucketAlreadyOwnedByYou")
check(error_code(lambda: s3.head_bucket(Bucket="nope")) in ("404", "NoSuchBucket"), "HeadBucket of a missing bucket: 404")
check(error_code(lambda: s3.put_object(Bucket="nope", Key="k", Body=b"x")) == "NoSuchBucket", "PutObject to a missing bucket: NoSuchBucket")
try:
    s3.get_object(Bucket="scratch", Key="missing")
    check(False, "GetObject of a missing key raises")
except s3.exceptions.NoSuchKey:
    check(True, "GetObject of a missing key raises s3.exceptions.NoSuchKey")

# Objects.
body = b"hello, fnkit\n" * 100
put = s3.put_object(Bucket="scratch", Key="docs/a.txt", Body=body)
check(put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest(), "PutObject answers the MD5 eTag")
got = s3.get_object(Bucket="scratch", Key="docs/a.txt")
check(got["Body"].read() == body and got["ETag"] == put["ETag"], "GetObject returns the bytes and eTag")
part = s3.get_object(Bucket="scratch", Key="docs/a.txt", Range="bytes=7-11")
check(part["Body"].read() == b"fnkit" and part["ContentRange"] == f"bytes 7-11/{len(body)}", "GetObject with Range: 206, Content-Range")
check(error_code(lambda: s3.get_object(Bucket="scratch", Key="docs/a.txt", Range=f"bytes={len(body) + 5}-")) == "InvalidRange", "an unsatisfiable Range: InvalidRange")
head = s3.head_object(Bucket="scratch", Key="docs/a.txt")
check(head["ContentLength"] == len(body) and head["ETag"] == put["ETag"], "HeadObject: length and eTag")
copied = s3.copy_object(Bucket="scratch", Key="docs/b.txt", CopySource={"Bucket": "scratch", "Key": "docs/a.txt"})
check(copied["CopyObjectResult"]["ETag"] == put["ETag"], "CopyObject")
check(error_code(lambda: s3.put_object(Bucket="scratch", Key="../escape", Body=b"x")) in ("InvalidArgument", "400"), "a key escaping the bucket: 400")
check(not os.path.exists(os.path.join(os.path.dirname(fixture_out), "state", "buckets", "escape")), "and nothing written")

# Listings.
for key in ["logs/2026/01.txt", "logs/2026/02.txt", "logs/2027/01.txt", "top.txt"]:
    s3.put_object(Bucket="scratch", Key=key, Body=key.encode())
listed = s3.list_objects_v2(Bucket="scratch", Prefix="logs/")
check([o["Key"] for o in listed["Contents"]] == ["logs/2026/01.txt", "logs/2026/02.txt", "logs/2027/01.txt"], "ListObjectsV2 with a prefix")
folded = s3.list_objects_v2(Bucket="scratch", Delimiter="/")
check([p["Prefix"] for p in folded["CommonPrefixes"]] == ["docs/", "logs/"] and [o["Key"] for o in folded["Contents"]] == ["top.txt"], "ListObjectsV2 with a delimiter")
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket="scratch", PaginationConfig={"PageSize": 2}):
    keys += [o["Key"] for o in page.get("Contents", [])]
check(keys == sorted(keys) and len(keys) == 6, f"ListObjectsV2 pages with continuation tokens: {keys}")
deleted = s3.delete_objects(Bucket="scratch", Delete={"Objects": [{"Key": "logs/2026/01.txt"}, {"Key": "logs/2026/02.txt"}]})
check(sorted(d["Key"] for d in deleted["Deleted"]) == ["logs/2026/01.txt", "logs/2026/02.txt"], "DeleteObjects")
s3.delete_object(Bucket="scratch", Key="top.txt")
check(error_code(lambda: s3.head_object(Bucket="scratch", Key="top.txt")) in ("404", "NoSuchKey"), "DeleteObject")

# Multipart: two parts of 5 MiB and one smaller.
upload = s3.create_multipart_upload(Bucket="scratch", Key="big.bin")["UploadId"]
chunks = [os.urandom(5 * 1024 * 1024), os.urandom(5 * 1024 * 1024), b"tail"]
parts = []
for number, chunk in enumerate(chunks, start=1):
    r = s3.upload_part(Bucket="scratch", Key="big.bin", UploadId=upload, PartNumber=number, Body=chunk)
    parts.append({"PartNumber": number, "ETag": r["ETag"]})
listed_parts = s3.list_parts(Bucket="scratch", Key="big.bin", UploadId=upload)["Parts"]
check([p["PartNumber"] for p in listed_parts] == [1, 2, 3], "ListParts")
completed = s3.complete_multipart_upload(Bucket="scratch", Key="big.bin", UploadId=upload, MultipartUpload={"Parts": parts})
expected = hashlib.md5(b"".join(hashlib.md5(c).digest() for c in chunks)).hexdigest() + "-3"
check(completed["ETag"] == f'"{expected}"', "CompleteMultipartUpload: S3's multipart eTag")
check(s3.get_object(Bucket="scratch", Key="big.bin")["Body"].read() == b"".join(chunks), "the completed object's bytes")
aborted = s3.create_multipart_upload(Bucket="scratch", Key="never.bin")["UploadId"]
s3.abort_multipart_upload(Bucket="scratch", Key="never.bin", UploadId=aborted)
check(error_code(lambda: s3.list_parts(Bucket="scratch", Key="never.bin", UploadId=aborted)) == "NoSuchUpload", "AbortMultipartUpload, then NoSuchUpload")

# A PutObject fires the storage function, with the eTag PutObject answered.
image = b"\x89PNG fake"
put = s3.put_object(Bucket="uploads", Key="images/cat.png", Body=image)
deadline = time.time() + 30
line = ""
while time.time() < deadline:
    lines = open(fixture_out).read().splitlines() if os.path.exists(fixture_out) else []
    line = next((l for l in lines if l.startswith("images/cat.png\t")), "")
    if line:
        break
    time.sleep(0.05)
fields = line.split("\t")
check(len(fields) == 4 and fields[2] == "Created" and f'"{fields[3]}"' == put["ETag"], f"PutObject fired the storage function with the same eTag: {line!r}")

done("boto3 S3")
