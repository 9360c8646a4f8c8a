import pytest


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get("/profile/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/profile/"


@pytest.mark.parametrize("path", ["/healthz", "/accounts/login/", "/accounts/signup/"])
def test_public_pages_need_no_sign_in(client, db, path):
    assert client.get(path).status_code == 200


def test_home_greets_the_user_and_lists_what_exists(signed_in):
    response = signed_in.get("/")

    assert response.status_code == 200
    body = response.content.decode()
    assert ", Dana</h1>" in body
    assert 'href="/profile/"' in body
    assert 'aria-current="page"' in body
