from hearth.accounts.personas import Cast


def test_home_redirects_anonymous_to_sign_in(client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_home_for_each_role(cast: Cast, as_persona) -> None:
    for key in ["alice", "tom", "sam", "ada", "cora", "olive"]:
        response = as_persona(key).get("/")
        assert response.status_code == 200, key
        assert cast.users[key].get_short_name() in response.content.decode()


def test_production_hashes_passwords_with_argon2() -> None:
    from hearth.config import settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
