module gomemsim/gocheck

go 1.19
