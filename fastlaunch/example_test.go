package fastlaunch_test

import (
	"fmt"

	"github.com/winami/winami/fastlaunch"
)

func ExampleParseTemplate() {
	for _, s := range []string{"lt-0abc123", "win-nodes:3", "win-nodes:$Latest"} {
		r, err := fastlaunch.ParseTemplate(s)
		fmt.Printf("id=%q name=%q version=%q err=%v\n", r.ID, r.Name, r.Version, err)
	}
	// Output:
	// id="lt-0abc123" name="" version="" err=<nil>
	// id="" name="win-nodes" version="3" err=<nil>
	// id="" name="win-nodes" version="$Latest" err=<nil>
}

func ExampleFailed() {
	fmt.Println(fastlaunch.Failed("enabling-failed"), fastlaunch.Failed("enabled"))
	// Output: true false
}
