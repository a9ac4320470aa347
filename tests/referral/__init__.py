"""Tests of the referral package."""
