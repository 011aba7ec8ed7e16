"""Every call to AWS, and nothing else: Connect, S3 (the ledger), CloudTrail, Service Quotas.

boto3 and botocore are imported only in this package (an import-linter contract).
``clients`` is the one way to build a client and to map an AWS error to ours.
"""
