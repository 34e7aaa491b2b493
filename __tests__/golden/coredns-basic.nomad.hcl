job "coredns" {
  type = "service"

  group "dns" {
    count = 1

    network {
      mode = "host"
      port "dns" {
        static = "53"
      }
    }

    task "coredns" {
      driver = "docker"

      config {
        image = "docker.io/coredns/coredns:1.13.2"
        network_mode = "host"
        force_pull = false
        ports = ["dns"]
        args = ["-conf", "/local/coredns/corefile"]
      }

      service {
        port = "dns"
        name = "coredns"
        tags = ["coredns"]
        check {
          type     = "tcp"
          interval = "10s"
          timeout  = "2s"
        }
      }

      template {
        data = <<EOH
. {
    bind {{ env "NOMAD_IP_dns" }}
    health
    log
    errors
}
