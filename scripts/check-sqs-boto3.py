"""The SQS API of fnkit-local driven by boto3, which we did not write: every action the emulator
serves, SQS's typed errors, and a SendMessage with attributes reaching a queue function's
`messageAttributes` with SQS's digests. Run by scripts/check-boto3.sh with the emulator's URL and
the fixtures' output file.
"""
import hashlib
import json
import os
import struct
import sys
import time

from awscheck import check, client, done, error_code

base, fixture_out = sys.argv[1], sys.argv[2]
sqs = client("sqs", base)


def md5_of_attributes(attributes):
    """SQS's documented algorithm, written here independently of the emulator's."""
    def field(b):
        return struct.pack(">I", len(b)) + b
    buf = b""
    for name in sorted(attributes):
        a = attributes[name]
        buf += field(name.encode()) + field(a["DataType"].encode())
        if a["DataType"].startswith("Binary"):
            buf += b"\x02" + field(a["BinaryValue"])
        else:
            buf += b"\x01" + field(a["StringValue"].encode())
    return hashlib.md5(buf).hexdigest()


def attributes(url, *names):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names))["Attributes"]


# Queues.
urls = sqs.list_queues()["QueueUrls"]
names = [u.rsplit("/", 1)[1] for u in urls]
check({"orders", "orders-dlq", "tagged"} <= set(names), f"ListQueues has the triggers' queues and their DLQs: {names}")
work = sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
check(work.endswith("/000000000000/work"), f"CreateQueue answers the URL: {work}")
check(sqs.get_queue_url(QueueName="work")["QueueUrl"] == work, "GetQueueUrl")
check(sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "45"})["QueueUrl"] == work, "CreateQueue again with the same attributes")
check(error_code(lambda: sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "5"})) == "QueueAlreadyExists", "CreateQueue with other attributes: QueueAlreadyExists")
try:
    sqs.get_queue_url(QueueName="nope")
    check(False, "GetQueueUrl of a missing queue raises")
except sqs.exceptions.QueueDoesNotExist as e:
    check(e.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue", "GetQueueUrl of a missing queue: sqs.exceptions.QueueDoesNotExist")
check(attributes(work, "VisibilityTimeout")["VisibilityTimeout"] == "45", "GetQueueAttributes: the queue's VisibilityTimeout")
policy = json.loads(attributes(sqs.get_queue_url(QueueName="orders")["QueueUrl"], "All")["RedrivePolicy"])
check(policy["maxReceiveCount"] == 3 and policy["deadLetterTargetArn"].endswith(":orders-dlq"), "a trigger queue's RedrivePolicy")

# Messages on a queue no function consumes.
attrs = {"color": {"DataType": "String", "StringValue": "red"}, "weight": {"DataType": "Number", "StringValue": "12.5"}, "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}}
r = sqs.send_message(QueueUrl=work, MessageBody="first", MessageAttributes=attrs)
check(r["MD5OfMessageBody"] == hashlib.md5(b"first").hexdigest(), "SendMessage: MD5OfMessageBody")
check(r["MD5OfMessageAttributes"] == md5_of_attributes(attrs), "SendMessage: MD5OfMessageAttributes by SQS's algorithm")
sqs.send_message(QueueUrl=work, MessageBody="later", DelaySeconds=600)
counts = attributes(work, "All")
check(counts["ApproximateNumberOfMessages"] == "1" and counts["ApproximateNumberOfMessagesDelayed"] == "1", f"GetQueueAttributes counts visible and delayed: {counts}")
got = sqs.receive_message(QueueUrl=work, MaxNumberOfMessages=10, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])["Messages"]
check([m["Body"] for m in got] == ["first"], "ReceiveMessage: the visible message only")
m = got[0]
check(m["MessageAttributes"]["color"]["StringValue"] == "red" and m["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\x01", "ReceiveMessage: message attributes")
check(m["MD5OfMessageAttributes"] == md5_of_attributes(attrs) and m["Attributes"]["ApproximateReceiveCount"] == "1", "ReceiveMessage: digests and system attributes")
check(attributes(work, "ApproximateNumberOfMessagesNotVisible")["ApproximateNumberOfMessagesNotVisible"] == "1", "a received message is not visible")
check("Messages" not in sqs.receive_message(QueueUrl=work, WaitTimeSeconds=1), "ReceiveMessage with a wait, nothing visible: no messages")
sqs.change_message_visibility(QueueUrl=work, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
again = sqs.receive_message(QueueUrl=work, MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"][0]
check(again["MessageId"] == m["MessageId"] and again["Attributes"]["ApproximateReceiveCount"] == "2", "ChangeMessageVisibility to 0: received again")
sqs.delete_message(QueueUrl=work, ReceiptHandle=again["ReceiptHandle"])
check(attributes(work, "ApproximateNumberOfMessagesNotVisible")["ApproximateNumberOfMessagesNotVisible"] == "0", "DeleteMessage")
check(error_code(lambda: sqs.delete_message(QueueUrl=work, ReceiptHandle="not-a-handle")) == "ReceiptHandleIsInvalid", "a bad receipt handle: ReceiptHandleIsInvalid")
check(error_code(lambda: sqs.change_message_visibility(QueueUrl=work, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=5)) == "AWS.SimpleQueueService.MessageNotInflight", "ChangeMessageVisibility of a deleted message: MessageNotInflight")
batch = sqs.send_message_batch(QueueUrl=work, Entries=[{"Id": f"m{i}", "MessageBody": f"b{i}"} for i in range(3)])
check(sorted(s["Id"] for s in batch["Successful"]) == ["m0", "m1", "m2"] and not batch.get("Failed"), "SendMessageBatch")
check(error_code(lambda: sqs.send_message_batch(QueueUrl=work, Entries=[{"Id": "x", "MessageBody": "1"}, {"Id": "x", "MessageBody": "2"}])) == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "repeated batch ids: BatchEntryIdsNotDistinct")
check(error_code(lambda: sqs.send_message_batch(QueueUrl=work, Entries=[{"Id": f"e{i}", "MessageBody": "1"} for i in range(11)])) == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "eleven entries: TooManyEntriesInBatchRequest")
received = sqs.receive_message(QueueUrl=work, MaxNumberOfMessages=10)["Messages"]
deleted = sqs.delete_message_batch(QueueUrl=work, Entries=[{"Id": f"d{i}", "ReceiptHandle": r["ReceiptHandle"]} for i, r in enumerate(received)])
check(len(received) == 3 and len(deleted["Successful"]) == 3, "ReceiveMessage of a batch, DeleteMessageBatch")
check(error_code(lambda: sqs.send_message(QueueUrl=work, MessageBody="x" * (1024 * 1024 + 1))) == "InvalidParameterValue", "a message over 1 MiB: InvalidParameterValue")
sqs.purge_queue(QueueUrl=work)
check(attributes(work, "ApproximateNumberOfMessagesDelayed")["ApproximateNumberOfMessagesDelayed"] == "0", "PurgeQueue")
orders = sqs.get_queue_url(QueueName="orders")["QueueUrl"]
check(error_code(lambda: sqs.receive_message(QueueUrl=orders)) == "AWS.SimpleQueueService.UnsupportedOperation", "ReceiveMessage of a function's queue: refused, its messages are the function's")

# A message with attributes reaches the queue function's messageAttributes.
tagged = sqs.get_queue_url(QueueName="tagged")["QueueUrl"]
tag_attrs = {"tenant": {"DataType": "String", "StringValue": "acme"}, "priority": {"DataType": "Number", "StringValue": "2"}}
sqs.send_message(QueueUrl=tagged, MessageBody="hello queue", MessageAttributes=tag_attrs)
deadline = time.time() + 30
line = ""
while time.time() < deadline and not line:
    lines = open(fixture_out).read().splitlines() if os.path.exists(fixture_out) else []
    line = next((l for l in lines if l.startswith("tagged\thello queue\t")), "")
    time.sleep(0.05)
fields = line.split("\t")
check(len(fields) == 5, f"the queue function ran: {line!r}")
check(fields[2] == hashlib.md5(b"hello queue").hexdigest(), "its event's md5OfBody")
check(fields[3] == md5_of_attributes(tag_attrs), "its event's md5OfMessageAttributes")
check(json.loads(fields[4]) == {"priority": "Number=2", "tenant": "String=acme"}, "its event's messageAttributes")

done("boto3 SQS")
