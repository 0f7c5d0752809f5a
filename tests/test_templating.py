"""Filters every template uses."""
from rotation.templating import address


def test_an_address_breaks_before_its_at_sign_and_stays_escaped():
    assert str(address("ann.aalto@example.com")) == "ann.aalto<wbr>@example.com"
    assert str(address('"<b>x</b>"@example.com')) == "&#34;&lt;b&gt;x&lt;/b&gt;&#34;<wbr>@example.com"
    assert str(address("<not an address>")) == "&lt;not an address&gt;"
    assert str(address(None)) == ""
