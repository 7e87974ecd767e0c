"""Running untrusted student code: a warm zygote forks one limited sandbox per test.

The zygote imports heavy libraries once and never holds tests or expected values; each sandbox
imports the student's files and answers requests over a socket with JSON only, so nothing the
student's code does can reach the process that runs the tests or writes a score.
"""
