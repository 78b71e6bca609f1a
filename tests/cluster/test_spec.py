"""ServerSpec keeps the walkthrough's command and natslab's additions apart."""

from pathlib import Path

from natslab.cluster.spec import walkthrough_spec


def test_a_is_the_walkthroughs_command_plus_three_flags():
    spec = walkthrough_spec("A")
    assert spec.walkthrough_command() == (
        "nats-server -D -p 4222 -cluster nats://localhost:6222 "
        "-routes nats://localhost:6222,nats://localhost:6333"
    )
    assert spec.added_command() == "-n A -a 127.0.0.1 -m 8222"


def test_c_routes_to_a_and_b_like_the_walkthrough():
    assert walkthrough_spec("C").walkthrough_command() == (
        "nats-server -D -p 4444 -cluster nats://localhost:6444 "
        "-routes nats://localhost:6222,nats://localhost:6333"
    )


def test_seed_server_has_no_routes():
    spec = walkthrough_spec("A", route_to=())
    assert spec.walkthrough_command() == "nats-server -D -p 4222 -cluster nats://localhost:6222"


def test_expose_drops_the_bind_address():
    spec = walkthrough_spec("B", offset=10, expose=True)
    assert spec.added_command() == "-n B -m 8343"
    assert spec.client_url == "nats://127.0.0.1:4343"


def test_argv_is_binary_then_walkthrough_then_additions_and_config():
    spec = walkthrough_spec("A", offset=1)
    argv = spec.argv(Path("/x/nats-server"), Path("/run/A.conf"))
    assert argv[0] == "/x/nats-server"
    added = ["-n", "A", "-a", "127.0.0.1", "-m", "8223", "-c", "/run/A.conf"]
    assert argv[1:] == [*spec.walkthrough_args(), *added]
