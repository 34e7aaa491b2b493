/** A Go duration as time.ParseDuration reads it: number+unit pairs ("1h30m", "1.5s"), or a bare 0. */
export const GO_DURATION = /^([+-]?(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$|^0$/;
