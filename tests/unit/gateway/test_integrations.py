"""Non-proxy integrations: how a mock integration finds the status code it answers."""

import pytest

from busgps.local.gateway.integrations import MockWithoutStatusCode, mock_result


@pytest.mark.parametrize(("rendered", "status"), [('{"statusCode": 200}', 200), ('{"statusCode": 500}', 500)])
def test_a_mock_answers_the_status_its_template_names(rendered: str, status: int) -> None:
    # Given a request template rendered to {"statusCode": N}
    # When the mock integration runs
    # Then it answers N
    assert mock_result(rendered).status == status


def test_a_mock_without_a_template_takes_the_default_response() -> None:
    # Given a mock integration with no request template
    # When it runs, Then it answers 200, the default integration response
    assert mock_result(None).status == 200


@pytest.mark.parametrize("rendered", ['{{"statusCode": 200}}', "", '{"statusCode": "200"}', "{}", "[200]"])
def test_a_template_naming_no_integer_status_is_a_configuration_error(rendered: str) -> None:
    # Given a request template that renders to something without an integer statusCode
    # When the mock integration runs
    # Then it fails as API Gateway does ("statusCode should be an integer"), naming what it got
    with pytest.raises(MockWithoutStatusCode, match="statusCode"):
        mock_result(rendered)
