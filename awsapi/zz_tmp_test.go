package awsapi
import ("testing";"fmt")
func TestTmpX(t *testing.T){ s,_ := Lookup("lambda.amazonaws.com"); o := s.Operations["AddLayerVersionPermission"]; fmt.Println(s.CheckOperations, s.CheckParameters, o.Parameters); fmt.Println(s.Note) }
