from postwarden.domain.credentials import smtp_password


def test_smtp_password_matches_the_ses_developer_guide_vector() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert smtp_password(secret, "us-east-1") == "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9"
    assert smtp_password(secret, "eu-west-1") != smtp_password(secret, "us-east-1")
