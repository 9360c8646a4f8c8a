def test_info_names_the_service_its_version_and_environment(client):
    response = client.get("/api/v1/info")

    assert response.status_code == 200
    assert response.json() == {"service": "${{ values.name }}", "version": "0.1.0", "environment": "test"}
