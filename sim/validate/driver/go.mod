module gomemsim/driver

go 1.19
