"""Rents a number in sandbox mode through a client generated from /api/openapi.json.

Run by scripts/check-api, with the generated package (`namaskah_client`, by
openapi-python-client) on PYTHONPATH: `api_client_rent.py BASE_URL API_KEY`. Only the sandbox's
own control API (to make an SMS arrive) is called without the generated client.
"""

import json
import sys
import time
import urllib.request
import uuid

from namaskah_client import AuthenticatedClient
from namaskah_client.api.billing import get_balance
from namaskah_client.api.catalogue import list_countries, list_services
from namaskah_client.api.rentals import (
    create_rental,
    get_rental,
    list_rental_messages,
    release_rental,
)
from namaskah_client.models import NewRental, RentalView


def expect(response, status):
    if response.status_code != status:
        sys.exit(f"expected {status}, got {response.status_code}: {response.content!r}")
    return response.parsed


def main(base, key):
    client = AuthenticatedClient(base_url=base, token=key)
    before = expect(get_balance.sync_detailed(client=client), 200)

    # What is for sale: the first country with a rental on sale, and a service sold there.
    countries = expect(list_countries.sync_detailed(client=client), 200).countries
    for country in countries:
        offers = expect(list_services.sync_detailed(client=client, country=country.code), 200)
        if offers.rentals and offers.services:
            break
    else:
        sys.exit("no country has rentals on sale")
    offer = min(offers.rentals, key=lambda o: o.hours)
    service = offers.services[0].service

    body = NewRental(country=country.code, service=service, duration_hours=offer.hours)
    key_once = str(uuid.uuid4())
    rental = expect(
        create_rental.sync_detailed(client=client, body=body, idempotency_key=key_once), 201
    )
    assert isinstance(rental, RentalView), rental
    assert rental.status.value == "active", rental.status
    # A retry with the same key is the same rental, charged once.
    again = expect(
        create_rental.sync_detailed(client=client, body=body, idempotency_key=key_once), 201
    )
    assert again.id == rental.id

    # An SMS arrives (the sandbox's control API plays the provider) and is read back.
    sms = json.dumps({"phone": rental.phone_number, "text": "Your code is 482913"}).encode()
    request = urllib.request.Request(
        f"{base}/sandbox/5sim/control/sms", sms, {"content-type": "application/json"}
    )
    urllib.request.urlopen(request).read()
    for _ in range(100):
        messages = expect(list_rental_messages.sync_detailed(rental.id, client=client), 200)
        if messages.messages:
            break
        time.sleep(0.1)
    else:
        sys.exit("the SMS never arrived")
    assert any(m.code == "482913" for m in messages.messages), messages.messages
    shown = expect(get_rental.sync_detailed(rental.id, client=client), 200)
    assert shown.message_count >= 1 and shown.last_code == "482913", shown

    released = expect(release_rental.sync_detailed(rental.id, client=client), 200)
    assert released.rental.status.value == "released", released.rental.status
    after = expect(get_balance.sync_detailed(client=client), 200)
    print(
        f"rented {rental.phone_number} in {country.code} for {service}, {offer.hours} h, "
        f"for {rental.cost}; got code 482913; released with {released.refund} back; "
        f"balance {before.balance} -> {after.balance}"
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
