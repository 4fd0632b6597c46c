"""The ports to the outside world (SES, SQS, Cognito, CloudWatch metrics, X-Ray) with their injection point
(``adapters``), and the settings read from the environment.
"""
